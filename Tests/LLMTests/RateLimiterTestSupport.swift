import Cache
import Foundation
import LLM
import Logging
import Synchronization
import Testing
import TestSupport

/// Where a test limiter keeps its buckets.
enum RateLimiterBackend: String, CaseIterable, CustomTestStringConvertible {
    /// The local stack's Redis (`MEMGRID_REDIS_URL` overrides the loopback default).
    case redis
    /// No Redis at all: the in-process buckets.
    case local

    var testDescription: String { rawValue }
}

/// A limiter under test with a provider name and key prefix of its own, so concurrently
/// running tests never share buckets, and the log lines it wrote.
struct RateLimiterFixture {
    let limiter: RedisRateLimiter
    let redis: RedisClient?
    let keyPrefix: String
    let provider = "provider-\(UUID().uuidString)"
    let logs = RateLimiterLogs()

    static var redisURL: String { TestRedis.url }

    init(redis: RedisClient?, keyPrefix: String = "memgrid-test:\(UUID().uuidString):ratelimit") {
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.limiter = RedisRateLimiter(redis: redis, keyPrefix: keyPrefix, logger: logs.logger)
    }

    /// The provider's bucket hash in Redis.
    var key: String { "\(keyPrefix):\(provider)" }

    func limits(rpm: Int? = nil, tpm: Int? = nil, maxConcurrency: Int = 1000) -> ProviderLimits {
        ProviderLimits(provider: provider, rpm: rpm, tpm: tpm, maxConcurrency: maxConcurrency)
    }

    /// A bucket level as stored in Redis (`r` requests or `t` tokens); nil when absent.
    func storedLevel(_ field: String, in client: RedisClient) async throws -> Double? {
        try await client.send("HGET", key, field).string.flatMap(Double.init)
    }
}

/// Runs `body` with a fixture on `backend`, then deletes its keys and shuts its client down.
func withRateLimiter(_ backend: RateLimiterBackend, _ body: (RateLimiterFixture) async throws -> Void) async throws {
    let redis = backend == .redis ? RedisClient(configuration: try .init(url: RateLimiterFixture.redisURL)) : nil
    let fixture = RateLimiterFixture(redis: redis)
    func cleanUp() async {
        guard let redis else { return }
        _ = try? await redis.del([fixture.key])
        await redis.shutdown()
    }
    do {
        try await body(fixture)
    } catch {
        await cleanUp()
        throw error
    }
    await cleanUp()
}

/// Runs `body`, expecting it to fail with `LLMError(.capacityTimeout)`.
func expectCapacityTimeout(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    let error = await #expect(throws: LLMError.self, sourceLocation: sourceLocation) { try await body() }
    #expect(error?.code == .capacityTimeout, sourceLocation: sourceLocation)
}

/// Polls `condition` up to `attempts` times, `interval` apart. Bounds the wait without
/// asserting anything about how long things take.
func rateLimiterEventually(
    attempts: Int = 100,
    interval: Duration = .milliseconds(50),
    _ condition: () async -> Bool
) async -> Bool {
    for _ in 0..<attempts {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return false
}

/// Every line logged through `logger`, to count warnings and recoveries.
final class RateLimiterLogs: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "memgrid.test.ratelimit") { _ in Handler(logs: self) }
    }

    func count(_ level: Logger.Level) -> Int {
        lines.withLock { $0.count { $0.level == level } }
    }

    private struct Handler: LogHandler {
        let logs: RateLimiterLogs
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            logs.lines.withLock { $0.append((event.level, event.message.description)) }
        }
    }
}
