public import AsyncHTTPClient
public import Contracts
import Foundation
import NIOCore
import NIOHTTP1
import ProviderHTTP

/// Chat completions from one OpenAI-compatible provider (DeepSeek, ModelArts MaaS,
/// OpenAI, vLLM, Ollama), whole or streamed as server-sent events. One attempt per
/// call: retries and fallback are `ChatRouter`'s. Failures are `LLMError`s; `timeout`,
/// `unavailable`, `invalidResponse` and `streamFailed` may succeed on another try.
public struct ChatClient: Sendable, CustomStringConvertible {
    public let provider: ProviderConfiguration
    private let httpClient: HTTPClient
    private let url: String
    private let headers: HTTPHeaders

    /// Bounds memory against a runaway answer; real completions are far smaller.
    static let maxBodyBytes = 16 * 1024 * 1024
    // Shared: provider bodies need no per-call coder options.
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    public init(provider: ProviderConfiguration, httpClient: HTTPClient) {
        self.provider = provider
        self.httpClient = httpClient
        self.url = provider.baseURL + "/chat/completions"
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key = provider.apiKey { headers.add(name: "Authorization", value: "Bearer \(key)") }
        self.headers = headers
    }

    /// Leaves out the headers, which carry the key.
    public var description: String { "ChatClient(\(provider))" }

    /// The whole answer, which must arrive within the provider's timeout.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var request = request
        request.stream = false
        request.streamOptions = nil
        let body = try Self.encoder.encode(request)
        return try await traced(request) { try await IdleTimeout.run(
            timeout: provider.timeout, expired: LLMError(.timeout, "\(provider.name): no answer within \(provider.timeout)")
        ) { _ in
            let response = try await send(body)
            let bytes: ByteBuffer
            do {
                bytes = try await response.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                throw failure(error)
            }
            guard let completion = try? Self.decoder.decode(ChatCompletion.self, from: Data(bytes.readableBytesView)),
                !completion.choices.isEmpty
            else {
                throw LLMError(
                    .invalidResponse, "\(provider.name): the answer is not a chat completion", status: Int(response.status.code))
            }
            return completion
        } }
    }

    /// Streams the answer, passing each chunk to `onChunk` as it arrives, and returns it
    /// whole (with the usage of the final chunk). The provider's timeout bounds each
    /// wait for more bytes, not the whole stream.
    public func stream(
        _ request: ChatRequest, onChunk: @Sendable (ChatChunk) async throws -> Void
    ) async throws -> ChatCompletion {
        var request = request
        request.stream = true
        // Usage is needed for metering; the caller's other stream options go as they came.
        var options = request.streamOptions ?? ChatRequest.StreamOptions()
        options.includeUsage = true
        request.streamOptions = options
        let body = try Self.encoder.encode(request)
        return try await traced(request) { try await withoutActuallyEscaping(onChunk) { onChunk in
            try await IdleTimeout.run(
                timeout: provider.timeout, expired: LLMError(.timeout, "\(provider.name): stream silent for \(provider.timeout)")
            ) { idle in
                let response = try await send(body)
                idle.progressed()
                var parser = SSEParser(maxEventBytes: Self.maxBodyBytes)
                var assembler = StreamAssembler()
                var bytes = response.body.makeAsyncIterator()
                while true {
                    let buffer = try await next(&bytes)
                    idle.progressed()
                    // At the end, a blank line completes an event the provider left open.
                    let events = try buffer.map { buffer in try buffer.withUnsafeReadableBytes { try parser.feed($0) } } ?? parser.finish()
                    for event in events {
                        guard let chunk = try chunk(in: event) else { return try assembled(assembler, sawDone: true) }
                        try await onChunk(chunk)
                        assembler.add(chunk)
                    }
                    if buffer == nil { return try assembled(assembler, sawDone: false) }
                }
            }
        } }
    }

    /// POSTs the body; a non-2xx answer becomes an `LLMError` carrying the provider's message.
    private func send(_ body: Data) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        for (name, value) in TraceContext.current?.httpHeaders ?? [] { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: provider.timeout.timeAmount)
        } catch {
            throw failure(error)
        }
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return response }
        let errorBody = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data($0.readableBytesView) } ?? Data()
        let message = "\(provider.name) HTTP \(status): \(ProviderRetry.errorMessage(in: errorBody) ?? "no error message")"
        guard ProviderRetry.isRetryable(status: status) else { throw LLMError(.rejected, message, status: status) }
        let retryAfter = response.headers.first(name: "retry-after").flatMap(ProviderRetry.parseRetryAfter)
        throw LLMError(.unavailable, message, status: status, retryAfter: retryAfter)
    }

    private func next(_ bytes: inout HTTPClientResponse.Body.AsyncIterator) async throws -> ByteBuffer? {
        do {
            return try await bytes.next()
        } catch {
            throw failure(error)
        }
    }

    /// The chunk an event carries; nil for `[DONE]`.
    private func chunk(in event: SSEParser.Event) throws -> ChatChunk? {
        let data = Data(event.data.utf8)
        if event.type == "error" {
            throw LLMError(.streamFailed, "\(provider.name): \(ProviderRetry.errorMessage(in: data) ?? "error event in the stream")")
        }
        if event.data == "[DONE]" { return nil }
        if let chunk = try? Self.decoder.decode(ChatChunk.self, from: data) { return chunk }
        if let message = ProviderRetry.errorMessage(in: data) {
            throw LLMError(.streamFailed, "\(provider.name): \(message)")
        }
        throw LLMError(.invalidResponse, "\(provider.name): a stream event is not a chat completion chunk")
    }

    private func assembled(_ assembler: StreamAssembler, sawDone: Bool) throws -> ChatCompletion {
        guard sawDone || assembler.finished else {
            throw LLMError(.streamFailed, "\(provider.name): the stream ended before the answer did")
        }
        guard let completion = assembler.completion else {
            throw LLMError(.invalidResponse, "\(provider.name): the stream carried no answer")
        }
        return completion
    }

    /// A transport failure as an `LLMError`; cancellation stays cancellation.
    private func failure(_ error: any Error) -> any Error {
        if error is LLMError || error is CancellationError { return error }
        if Task.isCancelled { return CancellationError() }
        if error is NIOTooManyBytesError {
            return LLMError(.invalidResponse, "\(provider.name): the answer exceeds \(Self.maxBodyBytes) bytes")
        }
        if let error = error as? HTTPClientError,
            [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
        {
            return LLMError(.timeout, "\(provider.name): \(error)")
        }
        return LLMError(.unavailable, "\(provider.name): \(error)")
    }
}
