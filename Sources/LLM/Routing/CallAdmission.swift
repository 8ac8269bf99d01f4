/// A provider's limits, as the rate limiter needs them.
public struct ProviderLimits: Sendable, Hashable {
    /// Unique per provider: the Redis bucket names derive from it.
    public var provider: String
    /// Requests per minute, all replicas together; nil = unlimited.
    public var rpm: Int?
    /// Tokens (prompt + completion) per minute, all replicas together; nil = unlimited.
    public var tpm: Int?
    /// Calls in flight in this process.
    public var maxConcurrency: Int

    public init(provider: String, rpm: Int? = nil, tpm: Int? = nil, maxConcurrency: Int = 256) {
        self.provider = provider
        self.rpm = rpm
        self.tpm = tpm
        self.maxConcurrency = max(1, maxConcurrency)
    }
}

/// Permission to make one call, returned to the limiter when the call ends.
public struct CallPermit: Sendable {
    private let onFinish: @Sendable (_ actualTokens: Int?) async -> Void

    public init(onFinish: @escaping @Sendable (_ actualTokens: Int?) async -> Void) {
        self.onFinish = onFinish
    }

    /// Frees the concurrency slot; `actualTokens` (from the provider's usage) corrects
    /// the token estimate charged at admission.
    public func finish(actualTokens: Int?) async {
        await onFinish(actualTokens)
    }
}

/// Decides when a call to a provider may start: RPM/TPM buckets and a concurrency cap.
public protocol CallAdmission: Sendable {
    /// Waits (without blocking a thread) until `limits.provider` can take one more request
    /// estimated at `tokens` tokens, at most `maxWait`; throws `LLMError(.capacityTimeout)`
    /// when the wait would be longer.
    func admit(_ limits: ProviderLimits, tokens: Int, maxWait: Duration) async throws -> CallPermit

    /// Gets ready for `limits.provider`'s first calls (learns what its shared buckets hold).
    func prime(_ limits: ProviderLimits) async
}

extension CallAdmission {
    public func prime(_ limits: ProviderLimits) async {}
}
