public import Cache
public import CoreMetrics
public import Logging
import Synchronization

/// Admits LLM calls under each provider's limits: RPM and TPM token buckets shared by every
/// replica through Redis, and a cap on the calls in flight in this process.
///
/// A call first takes a concurrency slot, then its share of both buckets. The buckets are
/// not asked per call: the replica leases blocks of capacity from them (`QuotaLease`, at
/// most a tenth of a limit, used for at most a second) and grants calls from its lease
/// without a round trip. When the lease runs out, one refill per provider asks Redis for
/// the next block while the calls that need it wait in order (`SharedQuota`); token usage
/// beyond or below the estimates is settled with that same call. When Redis fails the
/// buckets fall back to this process (same algorithm and limits) and Redis is retried about
/// once a second, so an outage costs a refill at most one client timeout.
///
/// ```swift
/// let limiter = RedisRateLimiter(redis: redis, logger: logger)
/// let permit = try await limiter.admit(limits, tokens: estimate, maxWait: .seconds(30))
/// let response = try await call()
/// await permit.finish(actualTokens: response.usage?.totalTokens)
/// ```
public final class RedisRateLimiter: CallAdmission {
    /// One provider's in-process state, created on its first call.
    private final class Provider: Sendable {
        let slots = AsyncSemaphore()
        let quota = SharedQuota()
        let waits: CoreMetrics.Timer

        init(name: String, factory: any MetricsFactory) {
            waits = CoreMetrics.Timer(
                label: "memgrid_llm_ratelimit_wait_seconds", dimensions: [("provider", name)],
                preferredDisplayUnit: .seconds, factory: factory)
        }
    }

    /// `finish` may be called more than once; only the first call releases and corrects.
    private final class FirstCall: Sendable {
        private let called = Atomic(false)

        func claim() -> Bool {
            !called.exchange(true, ordering: .relaxed)
        }
    }

    private enum RedisHealth {
        case up
        case down(retryAt: ContinuousClock.Instant)
    }

    private static let redisRetryInterval = Duration.seconds(1)

    private let shared: RedisTokenBuckets?
    private let logger: Logger
    private let metricsFactory: any MetricsFactory
    private let fallbacks: Counter
    private let providers = Mutex<[String: Provider]>([:])
    private let health = Mutex(RedisHealth.up)

    /// - Parameters:
    ///   - redis: Where the buckets are shared; `nil` keeps them in this process only.
    ///   - keyPrefix: Each provider's buckets live in one hash at `keyPrefix:provider`.
    public init(
        redis: RedisClient?,
        keyPrefix: String = "memgrid:llm:ratelimit",
        logger: Logger,
        metrics factory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.shared = redis.map { RedisTokenBuckets(redis: $0, keyPrefix: keyPrefix) }
        self.logger = logger
        self.metricsFactory = factory
        self.fallbacks = Counter(label: "memgrid_llm_ratelimit_fallback_total", factory: factory)
    }

    public func admit(_ limits: ProviderLimits, tokens: Int, maxWait: Duration) async throws -> CallPermit {
        try Task.checkCancellation()
        let start = ContinuousClock.now
        let deadline = start + maxWait
        let provider = provider(named: limits.provider)
        defer { provider.waits.recordNanoseconds((ContinuousClock.now - start).nanoseconds) }

        // Limits below 1 would never refill, and more tokens than the bucket holds would wait
        // forever: both are raised or clamped to something that can be granted.
        let limits = ProviderLimits(
            provider: limits.provider, rpm: limits.rpm.map { max(1, $0) }, tpm: limits.tpm.map { max(1, $0) },
            maxConcurrency: limits.maxConcurrency)
        let tokens = min(max(0, tokens), limits.tpm ?? 0)

        guard try await provider.slots.acquire(limit: limits.maxConcurrency, deadline: deadline) else {
            throw Self.timeout(limits, maxWait)
        }
        let source: SharedQuota.Source?
        do {
            source = limits.rpm == nil && limits.tpm == nil
                ? nil
                : try await takeBuckets(limits, tokens: tokens, provider: provider, deadline: deadline, maxWait: maxWait)
        } catch {
            provider.slots.release()
            throw error
        }

        let finish = FirstCall()
        return CallPermit { actualTokens in
            guard finish.claim() else { return }
            provider.slots.release()
            guard let source, let actualTokens, limits.tpm != nil, actualTokens != tokens else { return }
            provider.quota.correct(tokens: actualTokens - tokens, in: source, limits: limits)
        }
    }

    /// Learns what the provider's shared buckets hold, so that a burst reaching this
    /// replica first may start on credit instead of waiting for a round trip.
    public func prime(_ limits: ProviderLimits) async {
        guard limits.rpm != nil || limits.tpm != nil else { return }
        await provider(named: limits.provider).quota.prime(limits, lender: self)
    }

    // MARK: - Buckets

    /// Waits until both buckets have room and charges them; returns where they were charged.
    private func takeBuckets(
        _ limits: ProviderLimits, tokens: Int, provider: Provider,
        deadline: ContinuousClock.Instant, maxWait: Duration
    ) async throws -> SharedQuota.Source {
        let need = QuotaAmount(requests: limits.rpm == nil ? 0 : 1, tokens: limits.tpm == nil ? 0 : tokens)
        guard let source = try await provider.quota.take(
            need, limits: limits, deadline: deadline, lender: shared == nil ? nil : self)
        else { throw Self.timeout(limits, maxWait) }
        return source
    }

    private func provider(named name: String) -> Provider {
        providers.withLock { providers in
            if let provider = providers[name] { return provider }
            let provider = Provider(name: name, factory: metricsFactory)
            providers[name] = provider
            return provider
        }
    }

    private static func timeout(_ limits: ProviderLimits, _ maxWait: Duration) -> LLMError {
        LLMError(.capacityTimeout, "provider \(limits.provider) has no capacity within \(maxWait)")
    }

    // MARK: - Redis health

    /// While Redis is down, one caller a second tries it again; the others go local at once.
    private func shouldTryRedis() -> Bool {
        health.withLock { health in
            guard case .down(let retryAt) = health else { return true }
            let now = ContinuousClock.now
            guard now >= retryAt else { return false }
            health = .down(retryAt: now + Self.redisRetryInterval)
            return true
        }
    }

    private func redisFailed(_ error: RedisClient.Error) {
        let wasUp = health.withLock { health in
            defer { health = .down(retryAt: .now + Self.redisRetryInterval) }
            guard case .up = health else { return false }
            return true
        }
        if wasUp {
            logger.warning("Redis unavailable; LLM rate limits enforced per process", metadata: ["error": "\(error)"])
        }
    }

    private func redisSucceeded() {
        let wasDown = health.withLock { health in
            defer { health = .up }
            guard case .down = health else { return false }
            return true
        }
        if wasDown { logger.info("Redis available again; LLM rate limits shared") }
    }
}

extension RedisRateLimiter: QuotaLender {
    var isOut: Bool {
        health.withLock { health in
            guard case .down(let retryAt) = health else { return false }
            return ContinuousClock.now < retryAt
        }
    }

    func mayAsk() -> Bool {
        shared != nil && shouldTryRedis()
    }

    func lease(_ limits: ProviderLimits, need: QuotaAmount, want: QuotaAmount, returning: QuotaAmount) async -> RedisTokenBuckets.Lease? {
        guard let shared else { return nil }
        do {
            let lease = try await shared.lease(limits, need: need, want: want, returning: returning)
            redisSucceeded()
            return lease
        } catch let error as RedisClient.Error {
            redisFailed(error)
            return nil
        } catch {
            return nil
        }
    }

    func grantedLocally() {
        fallbacks.increment()
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
