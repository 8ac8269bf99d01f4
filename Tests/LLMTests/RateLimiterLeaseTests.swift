import Cache
import Foundation
import LLM
import Testing
import TestSupport

/// Capacity leased from Redis in blocks: admissions and corrections without a round trip each.
@Suite("Rate limiter leases")
struct RateLimiterLeaseTests {
    enum Arrival: String, CaseIterable, CustomTestStringConvertible {
        /// One after the other: the lease grows with the demand it sees.
        case sequential
        /// All at once: the queue waits for one refill sized for all of it.
        case burst

        var testDescription: String { rawValue }
    }

    @Test(arguments: Arrival.allCases)
    func manyAdmissionsCostFewRoundTrips(_ arrival: Arrival) async throws {
        // A private server: its command counts are this test's alone.
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port))
        try await waitUntilAnswering(redis)
        let fixture = RateLimiterFixture(redis: redis)
        let limits = fixture.limits(rpm: 1_000_000, tpm: 1_000_000_000)
        let count = 1000
        let start = ContinuousClock.now

        @Sendable func call() async throws {
            let permit = try await fixture.limiter.admit(limits, tokens: 500, maxWait: .seconds(30))
            await permit.finish(actualTokens: 300)
        }
        switch arrival {
        case .sequential:
            for _ in 0..<count { try await call() }
        case .burst:
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<count { group.addTask { try await call() } }
                try await group.waitForAll()
            }
        }

        // Before leasing: one script call per admission and one per correction, 2000 in all.
        let calls = try await scriptCalls(redis)
        #expect(calls >= 1)
        #expect(calls <= count / 20)
        // Everything granted was charged in Redis (ahead, by the leases), refill aside.
        let refilled = (ContinuousClock.now - start) / .seconds(60) * 1_000_000
        let left = try #require(try await fixture.storedLevel("r", in: redis))
        #expect(left <= Double(1_000_000 - count) + refilled + 1)
        await redis.shutdown()
    }

    @Test func correctionsAreSettledWithTheNextLease() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port))
        try await waitUntilAnswering(redis)
        let fixture = RateLimiterFixture(redis: redis)
        // 1000 tokens a second: the refill between the steps stays small.
        let limits = fixture.limits(tpm: 60_000)

        let first = try await fixture.limiter.admit(limits, tokens: 1000, maxWait: .zero)
        let callsBefore = try await scriptCalls(redis)
        let levelBefore = try #require(try await fixture.storedLevel("t", in: redis))

        // 4000 tokens more than estimated: noted locally, no round trip of its own.
        await first.finish(actualTokens: 5000)
        #expect(try await scriptCalls(redis) == callsBefore)
        #expect(try #require(try await fixture.storedLevel("t", in: redis)) >= levelBefore)

        // The lease is now 4000 in debt: the next call takes a new one and settles the debt.
        _ = try await fixture.limiter.admit(limits, tokens: 1000, maxWait: .zero)
        #expect(try await scriptCalls(redis) == callsBefore + 1)
        let levelAfter = try #require(try await fixture.storedLevel("t", in: redis))
        // 4000 settled and at least 1000 leased, give or take a second of refill.
        #expect(levelAfter < levelBefore - 4000)
        await redis.shutdown()
    }

    @Test func aReplicaHoldsAtMostATenthOfALimit() async throws {
        let keyPrefix = "memgrid-test:\(UUID().uuidString):ratelimit"
        let clients = try (0..<2).map { _ in RedisClient(configuration: try .init(url: RateLimiterFixture.redisURL)) }
        let first = RateLimiterFixture(redis: clients[0], keyPrefix: keyPrefix)
        let second = RedisRateLimiter(redis: clients[1], keyPrefix: keyPrefix, logger: first.logs.logger)
        // One request a second refills: little during the test.
        let limits = first.limits(rpm: 60)

        let start = ContinuousClock.now
        for _ in 0..<20 {
            _ = try await first.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        // The first replica's lease grew with its demand, but holds at most 6 unused.
        var granted = 0
        while (try? await second.admit(limits, tokens: 0, maxWait: .zero)) != nil { granted += 1 }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        #expect(granted >= 60 - 20 - 6)
        #expect(Double(20 + granted) <= 60 + elapsed + 1)

        _ = try? await clients[0].del([first.key])
        for client in clients { await client.shutdown() }
    }

    /// How often the rate-limit script ran on `redis` (`EVALSHA`, the only way it is called).
    private func scriptCalls(_ redis: RedisClient) async throws -> Int {
        let info = try #require(try await redis.send("INFO", "commandstats").string)
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_evalsha:") }),
              let calls = line.split(separator: ":")[1].split(separator: ",").first?.split(separator: "=").last.flatMap({ Int($0) })
        else { return 0 }
        return calls
    }

    private func waitUntilAnswering(_ redis: RedisClient) async throws {
        let ready = await rateLimiterEventually { (try? await redis.ping()) != nil }
        try #require(ready, "the private redis-server did not come up")
    }
}
