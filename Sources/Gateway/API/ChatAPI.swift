import Cache
import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore

/// `POST /v1/chat/completions` in OpenAI's shape, streaming included. The call goes to
/// the LLM workers as a `chat.v1` RPC (they hold the providers, limits and budgets); a
/// streamed answer is relayed as server-sent events chunk by chunk. Members memgrid does
/// not read pass through to the provider, and the provider's answer back, unchanged;
/// `memory` makes the call memory-aware (`ChatMemory`).
struct ChatAPI: Sendable {
    static let maxMessages = 1000
    /// OpenAI's own limit on `n`.
    static let maxChoices = 128

    let rpc: RPCClient
    /// Where a stream whose client went away is flagged, so the worker stops it upstream.
    let cancellations: CallCancellations
    let memory: ChatMemory
    let topology: Topology
    /// The longest a call may take, queueing included.
    let timeout: Duration
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/chat/completions", use: complete)
    }

    func complete(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        var body = try await JSONBody.decode(ChatRequest.self, from: request, limit: maxBody)
        let options = try body.extra.removeValue(forKey: "memory").map(ChatMemory.Options.init)
        try Self.validate(body)
        // A retry of the request (same Idempotency-Key) memorizes into the same job.
        let requestKey = try request.idempotencyKey() ?? context.id
        var turn: ChatMemory.Turn?
        if let options { turn = try await memory.inject(options, into: &body, tenantID: tenantID, logger: context.logger) }
        var headers: HTTPFields = [:]
        if let turn, turn.options.memorize {
            headers[Self.memoryJobHeader] = ChatMemory.jobID(tenantID: tenantID, requestKey: requestKey)
        }
        let (memory, logger, memoryTurn) = (memory, context.logger, turn)
        let memorize: @Sendable (ChatCompletion?) async -> Void = { answer in
            guard let turn = memoryTurn, turn.options.memorize else { return }
            await memory.memorize(turn, answer: answer, tenantID: tenantID, requestKey: requestKey, logger: logger)
        }
        let call = ChatCall(tenantID: tenantID, request: body, memoryTokens: turn?.memoryTokens)
        guard body.stream == true else {
            let reply = try await Self.mapCallErrors { () async throws(RPCCallError) in
                try await rpc.call(call, topology: topology, messageID: context.id, timeout: timeout)
            }
            await memorize(try? reply.decoded())
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        let replies = try await Self.mapCallErrors { () async throws(RPCCallError) in
            try await rpc.stream(call, topology: topology, messageID: context.id, timeout: timeout)
        }
        // The first reply decides the status: a call refused before any output (budget,
        // no provider, provider down) is an HTTP error, as OpenAI's own are.
        let cursor = ReplyCursor(replies.makeAsyncIterator())
        guard let first = try await Self.mapCallErrors({ () async throws(RPCCallError) in try await cursor.next() }) else {
            throw APIError.internalError()
        }
        let (cancellations, callID) = (cancellations, context.id)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var event: RPCStreamEvent<ChatCall>? = first
                // A write that fails means the client has gone: tell the worker to stop paying for the rest.
                var delivered = false
                defer {
                    if !delivered { Task { try? await cancellations.cancel(callID) } }
                }
                while let current = event {
                    switch current {
                    case .chunk(let chunk):
                        // The provider's chunks as they came (usage included when the client asked for it).
                        try await writer.write(Self.event(chunk.body))
                    case .reply(let completion):
                        try await writer.write(Self.event(Data("[DONE]".utf8)))
                        await memorize(try? completion.decoded())
                    }
                    do throws(RPCCallError) {
                        event = try await cursor.next()
                    } catch {
                        event = nil
                        // Failed mid-stream: OpenAI's way of saying so inside an SSE stream.
                        switch error {
                        case .failed(let failure): try await writer.write(Self.failureEvent(failure))
                        case .malformed: try await writer.write(Self.failureEvent(nil))
                        case .timeout, .unreachable: break
                        }
                    }
                }
                delivered = true
                try await writer.finish(nil)
            })
    }

    /// The memorize job a memory-aware call submits once its answer is complete.
    static let memoryJobHeader = HTTPField.Name("x-memgrid-memory-job")!

    /// What memgrid itself relies on; the rest is the provider's to judge.
    static func validate(_ body: ChatRequest) throws {
        guard !body.model.isEmpty else { throw APIError.invalid("model must not be empty", param: "model") }
        guard (1...maxMessages).contains(body.messages.count) else {
            throw APIError.invalid("messages must hold 1 to \(maxMessages) messages", param: "messages")
        }
        for (index, message) in body.messages.enumerated() {
            let param = "messages[\(index)]"
            guard ChatMessage.roles.contains(message.role) else {
                throw APIError.invalid(
                    "\(param).role must be one of \(ChatMessage.roles.sorted().joined(separator: ", "))", param: "\(param).role")
            }
            if message.content == .null, !(message.role == "assistant" && message.toolCalls != nil) {
                throw APIError.invalid("\(param).content is required (only an assistant message with tool_calls may omit it)", param: "\(param).content")
            }
            if message.role == "tool", message.extra["tool_call_id"]?.stringValue == nil {
                throw APIError.invalid("\(param).tool_call_id is required for a tool message", param: "\(param).tool_call_id")
            }
        }
        for (name, value) in [("max_tokens", body.maxTokens), ("max_completion_tokens", body.maxCompletionTokens)] {
            if let value, value < 1 { throw APIError.invalid("\(name) must be at least 1", param: name) }
        }
        if let n = body.extra["n"], n != .null {
            guard let count = n.intValue, (1...maxChoices).contains(count) else {
                throw APIError.invalid("n must be an integer from 1 to \(maxChoices)", param: "n")
            }
        }
        if let format = body.responseFormat, !["text", "json_object", "json_schema"].contains(format.type) {
            throw APIError.invalid("response_format.type must be text, json_object or json_schema", param: "response_format.type")
        }
        if body.responseFormat?.type == "json_schema", body.responseFormat?.jsonSchema == nil {
            throw APIError.invalid("response_format.json_schema is required for type json_schema", param: "response_format.json_schema")
        }
    }

    private static func failureEvent(_ failure: RPCFailure?) throws -> ByteBuffer {
        let error = apiError(for: failure)
        let payload = ["error": ["message": error.message, "type": error.type, "code": error.code]]
        return event(try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]))
    }

    private static func event(_ data: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("data: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }

    private static func mapCallErrors<T>(_ body: () async throws(RPCCallError) -> T) async throws -> T {
        do {
            return try await body()
        } catch .timeout {
            throw APIError.timeout("no LLM worker finished the call in time", code: "llm_timeout")
        } catch .unreachable(let error) {
            throw APIError.unavailable("the LLM service is unreachable (\(error.code))", code: "broker_unavailable")
        } catch .failed(let failure) {
            throw apiError(for: failure)
        } catch .malformed {
            throw apiError(for: nil)
        }
    }

    /// The HTTP error for a worker's failure code (docs/api.md lists them).
    static func apiError(for failure: RPCFailure?) -> APIError {
        let message = failure?.message ?? "the LLM worker failed"
        switch failure?.code {
        case ChatFailureCode.noProvider?:
            return APIError.unavailable(message, code: ChatFailureCode.noProvider, retryAfter: nil)
        case ChatFailureCode.budgetExceeded?:
            return APIError(status: .tooManyRequests, type: "insufficient_quota", code: ChatFailureCode.budgetExceeded, message: message)
        case ChatFailureCode.tenantBusy?:
            return APIError(status: .tooManyRequests, type: "rate_limit_error", code: ChatFailureCode.tenantBusy, message: message, retryAfter: 1)
        case ChatFailureCode.unknownModel?:
            return APIError(status: .notFound, type: "invalid_request_error", code: ChatFailureCode.unknownModel, message: message, param: "model")
        case ChatFailureCode.rejected?:
            return APIError(status: .badRequest, type: "invalid_request_error", code: ChatFailureCode.rejected, message: message)
        case ChatFailureCode.unavailable?:
            return APIError(status: .badGateway, type: "server_error", code: ChatFailureCode.unavailable, message: message, retryAfter: 5)
        case "invalid"?:
            return APIError.invalid(message)
        case "unavailable"?:
            return APIError.unavailable(message, code: "llm_unavailable")
        default:
            return APIError.internalError()
        }
    }
}

/// The replies' iterator, handed from the handler (which reads the first reply to pick
/// the status) to the response writer. Only one task uses it at a time, in turn, which
/// is what makes the unchecked conformance sound.
private final class ReplyCursor: @unchecked Sendable {
    private var iterator: RPCReplies<ChatCall>.Iterator

    init(_ iterator: RPCReplies<ChatCall>.Iterator) {
        self.iterator = iterator
    }

    func next() async throws(RPCCallError) -> RPCStreamEvent<ChatCall>? {
        try await iterator.next()
    }
}

extension ChatRequest: RequestBody {
    /// Open: members memgrid does not model pass through to the provider.
    static var shape: JSONShape { .value }
}
