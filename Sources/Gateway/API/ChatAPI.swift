import Cache
import Contracts
import Foundation
import Hummingbird
import Messaging
import NIOCore

/// `POST /v1/chat/completions` in OpenAI's shape, streaming included. The call goes to
/// the LLM workers as a `chat.v1` RPC (they hold the providers, limits and budgets); a
/// streamed answer is relayed as server-sent events chunk by chunk.
struct ChatAPI: Sendable {
    static let maxMessages = 1000

    let rpc: RPCClient
    /// Where a stream whose client went away is flagged, so the worker stops it upstream.
    let cancellations: CallCancellations
    let topology: Topology
    /// The longest a call may take, queueing included.
    let timeout: Duration
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/chat/completions", use: complete)
    }

    func complete(_ request: Request, context: GatewayContext) async throws -> Response {
        let body = try await JSONBody.decode(ChatRequest.self, from: request, limit: maxBody)
        try Self.validate(body)
        let message = OutgoingMessage(
            exchange: "", routingKey: topology.rpcQueue(.llm),
            body: try WireJSON.encoder().encode(ChatCall(tenantID: try context.tenantID(), request: body)),
            properties: MessageProperties(messageID: context.id, timestamp: Date(), type: ChatCall.type))
        guard body.stream == true else {
            let reply = try await Self.mapBrokerErrors { try await rpc.call(message, timeout: timeout) }
            try Self.throwIfFailure(reply)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        let replies = try await Self.mapBrokerErrors {
            try await rpc.stream(message, timeout: timeout) { $0.properties.type != ChatCall.chunkType }
        }
        // The first reply decides the status: a call refused before any output (budget,
        // no provider, provider down) is an HTTP error, as OpenAI's own are.
        let cursor = ReplyCursor(replies.makeAsyncIterator())
        guard let first = try await Self.mapBrokerErrors({ try await cursor.next() }) else { throw APIError.internalError() }
        try Self.throwIfFailure(first)
        let includeUsage = body.streamOptions?.includeUsage == true
        let (cancellations, callID) = (cancellations, context.id)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var reply: Delivery? = first
                // A write that fails means the client has gone: tell the worker to stop paying for the rest.
                var delivered = false
                defer {
                    if !delivered { Task { try? await cancellations.cancel(callID) } }
                }
                while let current = reply {
                    switch current.properties.type {
                    case ChatCall.chunkType:
                        // Relayed as they are; the worker keeps usage for the completion.
                        try await writer.write(Self.event(current.body))
                    case ChatCall.completionType:
                        if includeUsage, let completion = try? JSONDecoder().decode(ChatCompletion.self, from: current.body) {
                            let usage = ChatChunk(id: completion.id, created: completion.created, model: completion.model, choices: [], usage: completion.usage)
                            try await writer.write(Self.event(try JSONEncoder().encode(usage)))
                        }
                        try await writer.write(Self.event(Data("[DONE]".utf8)))
                    default:
                        // Failed mid-stream: OpenAI's way of saying so inside an SSE stream.
                        let failure = try? WireJSON.decoder().decode(RPCFailure.self, from: current.body)
                        let error = Self.apiError(for: failure)
                        let payload = ["error": ["message": error.message, "type": error.type, "code": error.code]]
                        try await writer.write(Self.event(try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])))
                    }
                    reply = try? await cursor.next()
                }
                delivered = true
                try await writer.finish(nil)
            })
    }

    static func validate(_ body: ChatRequest) throws {
        guard !body.model.isEmpty else { throw APIError.invalid("model must not be empty", param: "model") }
        guard (1...maxMessages).contains(body.messages.count) else {
            throw APIError.invalid("messages must hold 1 to \(maxMessages) messages", param: "messages")
        }
        for (index, message) in body.messages.enumerated() where !ChatMessage.roles.contains(message.role) {
            throw APIError.invalid(
                "messages[\(index)].role must be one of \(ChatMessage.roles.sorted().joined(separator: ", "))", param: "messages[\(index)].role")
        }
        if let temperature = body.temperature, !(0...2).contains(temperature) {
            throw APIError.invalid("temperature must be between 0 and 2", param: "temperature")
        }
        if let topP = body.topP, !(0...1).contains(topP) { throw APIError.invalid("top_p must be between 0 and 1", param: "top_p") }
        if let maxTokens = body.maxTokens, maxTokens < 1 { throw APIError.invalid("max_tokens must be at least 1", param: "max_tokens") }
        if let format = body.responseFormat, !["text", "json_object", "json_schema"].contains(format.type) {
            throw APIError.invalid("response_format.type must be text, json_object or json_schema", param: "response_format.type")
        }
        if body.responseFormat?.type == "json_schema", body.responseFormat?.jsonSchema == nil {
            throw APIError.invalid("response_format.json_schema is required for type json_schema", param: "response_format.json_schema")
        }
    }

    private static func event(_ data: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("data: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }

    private static func mapBrokerErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BrokerError where error.code == .replyTimeout {
            throw APIError.timeout("no LLM worker finished the call in time", code: "llm_timeout")
        } catch let error as BrokerError {
            throw APIError.unavailable("the LLM service is unreachable (\(error.code))", code: "broker_unavailable")
        }
    }

    private static func throwIfFailure(_ reply: Delivery) throws {
        guard reply.properties.type == RPCFailure.type else { return }
        throw apiError(for: try? WireJSON.decoder().decode(RPCFailure.self, from: reply.body))
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
    private var iterator: AsyncThrowingStream<Delivery, any Error>.Iterator

    init(_ iterator: AsyncThrowingStream<Delivery, any Error>.Iterator) {
        self.iterator = iterator
    }

    func next() async throws -> Delivery? {
        try await iterator.next()
    }
}

extension ChatRequest: RequestBody {
    static var shape: JSONShape {
        .object([
            "model": .value, "messages": .array(.object(["role": .value, "content": .value, "name": .value])),
            "temperature": .value, "top_p": .value, "max_tokens": .value, "max_completion_tokens": .value, "stop": .value,
            "seed": .value, "presence_penalty": .value, "frequency_penalty": .value, "response_format": .value, "user": .value,
            "stream": .value, "stream_options": .object(["include_usage": .value]),
        ])
    }
}
