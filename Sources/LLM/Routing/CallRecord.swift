/// One attempt at one provider, as metering stores it: tokens, cost, latency, outcome.
public struct CallRecord: Sendable, Hashable {
    /// How an attempt ended. Open for additions, so callers should not switch exhaustively.
    public struct Outcome: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let ok = Outcome(rawValue: "ok")
        public static let rateLimited = Outcome(rawValue: "rate_limited")
        public static let serverError = Outcome(rawValue: "server_error")
        public static let timeout = Outcome(rawValue: "timeout")
        public static let transportError = Outcome(rawValue: "transport_error")
        public static let rejected = Outcome(rawValue: "rejected")
        public static let invalidResponse = Outcome(rawValue: "invalid_response")
        public static let streamFailed = Outcome(rawValue: "stream_failed")
        /// The caller stopped the call: its task was cancelled or its chunk handler threw.
        public static let cancelled = Outcome(rawValue: "cancelled")

        static let all: [Outcome] = [
            .ok, .rateLimited, .serverError, .timeout, .transportError, .rejected, .invalidResponse, .streamFailed, .cancelled,
        ]

        /// What a failed attempt's error says about it.
        init(_ error: any Error) {
            guard let error = error as? LLMError else {
                self = .cancelled
                return
            }
            switch (error.code, error.status) {
            case (.rejected, _): self = .rejected
            case (.invalidResponse, _): self = .invalidResponse
            case (.streamFailed, _): self = .streamFailed
            case (.timeout, _), (_, 408): self = .timeout
            case (_, 429): self = .rateLimited
            case (_, .some): self = .serverError
            default: self = .transportError
            }
        }
    }

    public var provider: String
    public var model: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// Part of `promptTokens`, billed at the cached price.
    public var cachedTokens: Int
    public var costUSD: Double
    /// Time inside the provider's HTTP call.
    public var latency: Duration
    public var outcome: Outcome
    /// The provider's HTTP status; nil when no answer came (timeout, connection failure).
    public var status: Int?

    public init(
        provider: String, model: String, promptTokens: Int = 0, completionTokens: Int = 0, cachedTokens: Int = 0,
        costUSD: Double = 0, latency: Duration, outcome: Outcome, status: Int?
    ) {
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.costUSD = costUSD
        self.latency = latency
        self.outcome = outcome
        self.status = status
    }
}
