import Cache
import LLM
import Testing

/// The RPM and TPM buckets of one limiter, in Redis and in process alike.
@Suite("Rate limiter buckets")
struct RateLimiterTests {
    @Test(arguments: RateLimiterBackend.allCases)
    func grantsTheRequestBurstAtOnceThenRefuses(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            // One request refills every 20 s: no refill to speak of during the test.
            let limits = fixture.limits(rpm: 3)
            for _ in 0..<3 {
                _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
            }
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
            }
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func grantsTheTokenBurstAtOnceThenRefuses(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            // 100 tokens a second: the refused call would need 20 s.
            let limits = fixture.limits(tpm: 6000)
            _ = try await fixture.limiter.admit(limits, tokens: 4000, maxWait: .zero)
            _ = try await fixture.limiter.admit(limits, tokens: 2000, maxWait: .zero)
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 2000, maxWait: .zero)
            }
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func waitsForTheRequestRefill(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            // 120 requests a minute: a burst of 120, then one every 500 ms.
            let limits = fixture.limits(rpm: 120)
            let start = ContinuousClock.now
            for _ in 0..<121 {
                _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .seconds(10))
            }
            // 121 grants need at least one refill interval after the first (ms rounding aside).
            #expect(ContinuousClock.now - start >= .milliseconds(490))
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func waitsForTheTokenRefill(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            // 60,000 tokens a minute: 1,000 a second.
            let limits = fixture.limits(tpm: 60_000)
            let start = ContinuousClock.now
            _ = try await fixture.limiter.admit(limits, tokens: 60_000, maxWait: .zero)
            _ = try await fixture.limiter.admit(limits, tokens: 500, maxWait: .seconds(10))
            #expect(ContinuousClock.now - start >= .milliseconds(490))
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func clampsAnEstimateAboveTheTokenCapacity(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            let limits = fixture.limits(tpm: 60)
            // Charged as the whole bucket instead of waiting for a fill that can never come.
            _ = try await fixture.limiter.admit(limits, tokens: 50_000, maxWait: .zero)
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 30, maxWait: .zero)
            }
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func finishRefundsAnOverestimate(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            let limits = fixture.limits(tpm: 60_000)
            let first = try await fixture.limiter.admit(limits, tokens: 60_000, maxWait: .zero)
            await first.finish(actualTokens: 0)
            // The refund filled the bucket again.
            let second = try await fixture.limiter.admit(limits, tokens: 60_000, maxWait: .zero)
            // No usage reported: the estimate stands and the bucket stays empty.
            await second.finish(actualTokens: nil)
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 30_000, maxWait: .zero)
            }
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func finishChargesAnUnderestimate(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            let limits = fixture.limits(tpm: 60_000)
            let permit = try await fixture.limiter.admit(limits, tokens: 1, maxWait: .zero)
            // Enough room for another small call, until the real usage is charged.
            _ = try await fixture.limiter.admit(limits, tokens: 1, maxWait: .zero)
            await permit.finish(actualTokens: 120_000)
            // About -60,000 tokens now: even a tiny call waits about two minutes.
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 1, maxWait: .seconds(1))
            }
        }
    }

    @Test func correctionMovesTheSharedTokenBucket() async throws {
        try await withRateLimiter(.redis) { fixture in
            let redis = try #require(fixture.redis)
            // 100 tokens a second: the refill between the steps stays small.
            let limits = fixture.limits(tpm: 6000)
            let permit = try await fixture.limiter.admit(limits, tokens: 1000, maxWait: .zero)
            let charged = try #require(try await fixture.storedLevel("t", in: redis))
            #expect(charged < 5500)
            await permit.finish(actualTokens: 4000)
            // Corrections reach Redis with the replica's next lease call, not one call each.
            _ = try await fixture.limiter.admit(limits, tokens: 1, maxWait: .zero)
            let corrected = try #require(try await fixture.storedLevel("t", in: redis))
            // 3,000 more charged, give or take the refill in between.
            #expect(corrected < charged - 2000)
        }
    }

    @Test func sharedBucketsExpireWhenIdle() async throws {
        try await withRateLimiter(.redis) { fixture in
            let redis = try #require(fixture.redis)
            _ = try await fixture.limiter.admit(fixture.limits(rpm: 60, tpm: 60_000), tokens: 100, maxWait: .zero)
            let ttl = try #require(try await redis.send("PTTL", fixture.key).integer)
            // Until both buckets are full again (1 s here) plus a minute.
            #expect(ttl > 0 && ttl <= 61_100)
        }
    }

    @Test func withoutRateLimitsRedisIsNotAsked() async throws {
        try await withRateLimiter(.redis) { fixture in
            let redis = try #require(fixture.redis)
            for _ in 0..<10 {
                let permit = try await fixture.limiter.admit(fixture.limits(), tokens: 100, maxWait: .zero)
                await permit.finish(actualTokens: 1000)
            }
            #expect(try await redis.send("EXISTS", fixture.key) == .integer(0))
        }
    }
}
