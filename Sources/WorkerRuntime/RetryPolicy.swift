/// Exponential backoff with jitter, and the attempt limit after which a job is
/// dead-lettered.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts including the first.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Fraction of the delay added or removed at random (0.25 = ±25 %).
    public var jitter: Double

    public init(maxAttempts: Int = 5, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300), jitter: Double = 0.25) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait before the attempt after failed attempt `attempt` (1-based):
    /// base × 2^(attempt−1), capped, then jittered.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let raw = min(baseDelay * Double(1 << Int(exponent)), maxDelay)
        guard jitter > 0 else { return raw }
        return raw * Double.random(in: (1 - jitter)...(1 + jitter))
    }
}

