/// Why an LLM call failed, in terms the caller can act on.
public struct LLMError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The provider refused the request (a 4xx other than 408/429): retrying cannot help.
        public static let rejected = Code(name: "rejected")
        /// 429 / 408 / 5xx / timeout / connection failure after every attempt and fallback.
        public static let unavailable = Code(name: "unavailable")
        /// The answer was not a chat completion (malformed JSON, no choices).
        public static let invalidResponse = Code(name: "invalid_response")
        /// The provider reported an error in the middle of a stream.
        public static let streamFailed = Code(name: "stream_failed")
        /// No rate-limit capacity within the caller's wait: try again later.
        public static let capacityTimeout = Code(name: "capacity_timeout")
        /// No provider serves the requested model.
        public static let unknownModel = Code(name: "unknown_model")
        /// No provider is configured at all.
        public static let noProvider = Code(name: "no_provider")
        /// One call got no answer (or, streaming, no next bytes) within the provider's
        /// timeout. The router retries it and reports `unavailable` once every attempt failed.
        public static let timeout = Code(name: "timeout")
    }

    public let code: Code
    /// The provider's message or ours; never prompts, answers or keys.
    public let message: String
    /// The HTTP status of the provider's last answer, if there was one.
    public let status: Int?
    /// The provider's `Retry-After`, when it sent one with a retryable status.
    public let retryAfter: Duration?

    public init(_ code: Code, _ message: String, status: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    public var description: String { "LLMError(\(code)): \(message)" }

    /// Whether another attempt (or another provider) may succeed where this one failed.
    var isRetryable: Bool {
        switch code {
        case .unavailable, .timeout, .invalidResponse, .streamFailed: true
        default: false
        }
    }
}
