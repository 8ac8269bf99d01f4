/// One provider's RPM and TPM buckets in this process: the algorithm of
/// `RedisTokenBuckets.script`, used when Redis is not configured or not reachable.
///
/// Each bucket holds up to its per-minute limit and refills continuously at limit/60 per
/// second. A missing level means a full bucket (as a missing Redis key does).
struct LocalTokenBuckets {
    private var requestsLeft: Double?
    private var tokensLeft: Double?
    private var updated: ContinuousClock.Instant?

    /// Deducts one request and `tokens` and returns `.zero` when both buckets have room;
    /// otherwise deducts nothing and returns how long until both would.
    mutating func take(_ limits: ProviderLimits, tokens: Int, now: ContinuousClock.Instant) -> Duration {
        refill(limits, now: now)
        var minutes = 0.0
        if let rpm = limits.rpm, let left = requestsLeft, left < 1 {
            minutes = (1 - left) / Double(rpm)
        }
        if let tpm = limits.tpm, let left = tokensLeft, left < Double(tokens) {
            minutes = max(minutes, (Double(tokens) - left) / Double(tpm))
        }
        // Capped so a huge debt cannot overflow `Duration`; a caller still waiting asks again.
        guard minutes == 0 else { return .seconds(min(minutes, 60) * 60) }
        requestsLeft? -= 1
        tokensLeft? -= Double(tokens)
        return .zero
    }

    /// Charges `tokens` more to the TPM bucket (fewer when negative), below zero if need be.
    mutating func adjust(_ limits: ProviderLimits, tokens: Int, now: ContinuousClock.Instant) {
        refill(limits, now: now)
        if let tpm = limits.tpm, let left = tokensLeft {
            tokensLeft = min(Double(tpm), left - Double(tokens))
        }
    }

    private mutating func refill(_ limits: ProviderLimits, now: ContinuousClock.Instant) {
        let minutes = updated.map { max(0, (now - $0) / .seconds(60)) } ?? 0
        requestsLeft = Self.level(requestsLeft, capacity: limits.rpm, after: minutes)
        tokensLeft = Self.level(tokensLeft, capacity: limits.tpm, after: minutes)
        updated = now
    }

    private static func level(_ left: Double?, capacity: Int?, after minutes: Double) -> Double? {
        guard let capacity else { return nil }
        let full = Double(capacity)
        return min(full, (left ?? full) + minutes * full)
    }
}
