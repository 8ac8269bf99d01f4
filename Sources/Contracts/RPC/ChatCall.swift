/// `chat.v1`: one chat completion for a caller that waits (the gateway's
/// `/v1/chat/completions`), sent to the llm queue's RPC queue. With `request.stream`
/// set, the worker answers with `chat_chunk.v1` replies (each a `ChatChunk`) as the
/// provider streams, including a usage-only chunk when the request asked for one
/// (`stream_options.include_usage`); every call ends with exactly one terminal reply: `chat_completion.v1`
/// (a `ChatCompletion`, the whole answer) or `rpc_failure.v1`.
public struct ChatCall: RPCRequest, Hashable {
    public typealias Reply = ChatCompletion
    public typealias Chunk = ChatChunk
    public static let type = "chat.v1"
    public static let queue = JobQueue.llm

    /// The tenant billed for the call.
    public var tenantID: String
    public var request: ChatRequest
    /// Prompt tokens of the memories the gateway injected (memory-aware chat), metered apart.
    public var memoryTokens: Int?

    public init(tenantID: String, request: ChatRequest, memoryTokens: Int? = nil) {
        self.tenantID = tenantID
        self.request = request
        self.memoryTokens = memoryTokens
    }

    enum CodingKeys: String, CodingKey {
        case request
        case tenantID = "tenant_id"
        case memoryTokens = "memory_tokens"
    }
}

/// `RPCFailure.code` values a chat call can end with.
public enum ChatFailureCode {
    /// No LLM provider is configured (the offline default).
    public static let noProvider = "no_llm_provider"
    /// The tenant's LLM budget for a period is used up.
    public static let budgetExceeded = "budget_exceeded"
    /// No configured provider serves the requested model.
    public static let unknownModel = "model_not_found"
    /// A provider refused the request (a 4xx other than 408/429).
    public static let rejected = "provider_rejected"
    /// The tenant has as many LLM calls running on the worker as it may.
    public static let tenantBusy = "tenant_concurrency_exceeded"
    /// Every provider in the chain failed after retries.
    public static let unavailable = "provider_unavailable"
}

extension ChatChunk: RPCMessage {
    public static let type = "chat_chunk.v1"
}

extension ChatCompletion: RPCMessage {
    public static let type = "chat_completion.v1"
}
