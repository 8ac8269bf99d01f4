import Cache
import LLM
import Logging
import Testing
import TestSupport

/// Redis down, back, and restarted without the script: calls go on, limited in process.
@Suite("Rate limiter when Redis fails")
struct RateLimiterOutageTests {
    @Test func unreachableRedisStillLimitsInProcess() async throws {
        let down = try ClosedPort()
        defer { down.close() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: down.port, poolSize: 2))
        let fixture = RateLimiterFixture(redis: redis)
        let limits = fixture.limits(rpm: 2)
        for _ in 0..<2 {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        await expectCapacityTimeout {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        // Logged at the transition, not per call.
        #expect(fixture.logs.count(.warning) == 1)
        await redis.shutdown()
    }

    @Test func withoutRateLimitsAnUnreachableRedisIsNeverAsked() async throws {
        let down = try ClosedPort()
        defer { down.close() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: down.port))
        let fixture = RateLimiterFixture(redis: redis)
        let permit = try await fixture.limiter.admit(fixture.limits(), tokens: 10, maxWait: .zero)
        await permit.finish(actualTokens: 100)
        #expect(fixture.logs.count(.warning) == 0)
        await redis.shutdown()
    }

    @Test func fallsBackWhileRedisIsDownAndSharesAgainWhenItIsBack() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port, commandTimeout: .seconds(1)))
        try await waitUntilAnswering(redis)
        let fixture = RateLimiterFixture(redis: redis)
        // Three a minute: no refill to speak of during the test.
        let limits = fixture.limits(rpm: 3)

        for _ in 0..<3 {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        #expect(try await fixture.storedLevel("r", in: redis).map { $0 < 0.5 } == true)

        server.crash()
        // The process's own buckets take over, with the same limits.
        for _ in 0..<3 {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        await expectCapacityTimeout {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        #expect(fixture.logs.count(.warning) == 1)

        // The restarted Redis has a full bucket, the local one is empty: a grant means Redis.
        try server.start()
        try await waitUntilAnswering(redis)
        let shared = await rateLimiterEventually {
            (try? await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)) != nil
        }
        #expect(shared)
        #expect(try await fixture.storedLevel("r", in: redis) != nil)
        #expect(fixture.logs.count(.warning) == 1)
        #expect(fixture.logs.count(.info) == 1)
        await redis.shutdown()
    }

    @Test func reloadsTheScriptAfterScriptFlush() async throws {
        // A private server: SCRIPT FLUSH on the shared one would disturb other tests.
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port))
        try await waitUntilAnswering(redis)
        let fixture = RateLimiterFixture(redis: redis)
        let limits = fixture.limits(rpm: 10)

        _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        _ = try await redis.send("SCRIPT", "FLUSH")
        _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)

        // Both requests were charged in Redis: no fallback happened.
        let left = try #require(try await fixture.storedLevel("r", in: redis))
        #expect(left < 8.5)
        #expect(fixture.logs.count(.warning) == 0)
        await redis.shutdown()
    }

    private func waitUntilAnswering(_ redis: RedisClient) async throws {
        let ready = await rateLimiterEventually { (try? await redis.ping()) != nil }
        try #require(ready, "the private redis-server did not come up")
    }
}
