import AsyncHTTPClient
import Contracts
import FakeOpenAI
import LLM
import Testing

@Suite("Chat client against the fake provider over HTTP")
struct ChatClientTests {
    static let request = ChatRequest(model: "fake-model", messages: [ChatMessage(role: "user", content: "hello")], maxTokens: 64)

    func client(_ server: FakeOpenAIServer, key: String? = "sk-test", timeout: Duration = .seconds(10)) -> ChatClient {
        ChatClient(
            provider: ProviderConfiguration(
                name: "fake", baseURL: server.baseURL, apiKey: key, timeout: timeout,
                models: [.init(name: "fake-model", price: ModelPrice(inputPerMillion: 1, outputPerMillion: 2))]),
            httpClient: .shared)
    }

    @Test("a whole answer: bearer key, the request as sent, usage with cached tokens")
    func complete() async throws {
        let usage = FakeOpenAIServer.usage(prompt: 100, completion: 7, cached: 40, spelling: .deepSeek)
        let server = FakeOpenAIServer(default: .reply(content: "hi there", usage: usage))
        let completion = try await server.run { try await client(server).complete(Self.request) }
        #expect(completion.text == "hi there")
        #expect(completion.usage?.cachedTokens == 40)
        #expect(completion.usage?.totalTokens == 107)
        #expect(server.authorizations == ["Bearer sk-test"])
        let sent = try #require(server.requests.first)
        #expect(sent.model == "fake-model")
        #expect(sent.maxTokens == 64)
        #expect(sent.stream == false)
        #expect(sent.messages == Self.request.messages)
    }

    @Test("no key, no Authorization header (local servers)")
    func noKey() async throws {
        let server = FakeOpenAIServer()
        _ = try await server.run { try await client(server, key: nil).complete(Self.request) }
        #expect(server.authorizations == [nil])
    }

    @Test("a stream with keep-alive comments: chunks in order, assembled answer, final usage")
    func stream() async throws {
        let usage = FakeOpenAIServer.usage(prompt: 30, completion: 5, cached: 10)
        let server = FakeOpenAIServer(default: .reply(content: "one two three four five", usage: usage))
        let chunks = Recorder<ChatChunk>()
        let completion = try await server.run {
            try await client(server).stream(Self.request) { chunks.append($0) }
        }
        let texts = chunks.all.compactMap { $0.choices.first?.delta.content }
        #expect(texts == ["one", " two", " three", " four", " five"])
        #expect(completion.text == "one two three four five")
        #expect(completion.choices.first?.finishReason == "stop")
        #expect(completion.choices.first?.message.role == "assistant")
        #expect(completion.usage == usage)
        let sent = try #require(server.requests.first)
        #expect(sent.stream == true)
        #expect(sent.streamOptions?.includeUsage == true)
    }

    @Test("an error in the middle of a stream fails it with the provider's message")
    func midStreamError() async throws {
        let server = FakeOpenAIServer(default: .streamError(afterChunks: 2, message: "engine overloaded"))
        let chunks = Recorder<ChatChunk>()
        let error = try await server.run {
            await #expect(throws: LLMError.self) { try await client(server).stream(Self.request) { chunks.append($0) } }
        }
        #expect(error?.code == .streamFailed)
        #expect(error?.message.contains("engine overloaded") == true)
        #expect(chunks.all.count == 2)
    }

    @Test("a stream that ends without [DONE] or a finish reason failed")
    func earlyEnd() async throws {
        let server = FakeOpenAIServer(default: .streamTruncated(afterChunks: 3))
        let error = try await server.run {
            await #expect(throws: LLMError.self) { try await client(server).stream(Self.request) { _ in } }
        }
        #expect(error?.code == .streamFailed)
    }

    @Test("the stream timeout bounds each wait for bytes, not the whole answer")
    func streamTimeoutPerRead() async throws {
        let server = FakeOpenAIServer(script: [
            .pacedReply(content: "a b c d e f", usage: FakeOpenAIServer.usage(prompt: 1, completion: 6), gap: .milliseconds(150)),
            .pacedReply(content: "a b", usage: FakeOpenAIServer.usage(prompt: 1, completion: 2), gap: .seconds(3)),
        ])
        let clock = ContinuousClock()
        try await server.run {
            let client = client(server, timeout: .milliseconds(600))
            let start = clock.now
            let completion = try await client.stream(Self.request) { _ in }
            #expect(completion.text == "a b c d e f")
            #expect(clock.now - start >= .milliseconds(900))   // longer than the timeout, yet fine
            let error = await #expect(throws: LLMError.self) { try await client.stream(Self.request) { _ in } }
            #expect(error?.code == .timeout)
        }
    }

    @Test("a whole answer later than the timeout is a timeout")
    func hang() async throws {
        let server = FakeOpenAIServer(default: .hang(.seconds(5)))
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await server.run {
            await #expect(throws: LLMError.self) { try await client(server, timeout: .milliseconds(300)).complete(Self.request) }
        }
        #expect(error?.code == .timeout)
        #expect(clock.now - start >= .milliseconds(300))
    }

    @Test("a retryable status keeps its Retry-After; any other 4xx is rejected with the provider's message")
    func statuses() async throws {
        let server = FakeOpenAIServer(script: [
            .status(429, retryAfter: "2", message: "slow down"), .status(400, retryAfter: nil, message: "context too long"),
        ])
        try await server.run {
            let limited = await #expect(throws: LLMError.self) { try await client(server).complete(Self.request) }
            #expect(limited?.code == .unavailable)
            #expect(limited?.status == 429)
            #expect(limited?.retryAfter == .seconds(2))
            #expect(limited?.message.contains("slow down") == true)
            let rejected = await #expect(throws: LLMError.self) { try await client(server).stream(Self.request) { _ in } }
            #expect(rejected?.code == .rejected)
            #expect(rejected?.status == 400)
            #expect(rejected?.message.contains("context too long") == true)
        }
    }

    @Test("malformed JSON is an invalid response, whole or streamed")
    func malformed() async throws {
        let server = FakeOpenAIServer(default: .malformed)
        try await server.run {
            let whole = await #expect(throws: LLMError.self) { try await client(server).complete(Self.request) }
            #expect(whole?.code == .invalidResponse)
            let streamed = await #expect(throws: LLMError.self) { try await client(server).stream(Self.request) { _ in } }
            #expect(streamed?.code == .invalidResponse)
        }
    }

    @Test("a connection failure is retryable and has no status")
    func connectionRefused() async throws {
        let provider = ProviderConfiguration(
            name: "nowhere", baseURL: "http://127.0.0.1:1/v1",
            models: [.init(name: "fake-model", price: ModelPrice(inputPerMillion: 0, outputPerMillion: 0))])
        // Without AsyncHTTPClient's own reconnect attempts, which would run into the timeout.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let httpClient = HTTPClient(configuration: configuration)
        let error = await #expect(throws: LLMError.self) {
            try await ChatClient(provider: provider, httpClient: httpClient).complete(Self.request)
        }
        try await httpClient.shutdown()
        #expect(error?.code == .unavailable)
        #expect(error?.status == nil)
    }
}
