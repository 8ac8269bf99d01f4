import Cache
import LLM
import Synchronization
import Testing

/// The per-process concurrency cap, deadlines and cancellation.
@Suite("Rate limiter concurrency, timeouts and cancellation")
struct RateLimiterConcurrencyTests {
    @Test func concurrencyCapHoldsUnderContention() async throws {
        try await withRateLimiter(.local) { fixture in
            let limits = fixture.limits(maxConcurrency: 4)
            let inFlight = InFlightCounter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        let permit = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .seconds(30))
                        inFlight.enter()
                        try await Task.sleep(for: .milliseconds(2))
                        inFlight.leave()
                        await permit.finish(actualTokens: nil)
                    }
                }
                try await group.waitForAll()
            }
            #expect(inFlight.most == 4)
            try await expectExactlyFreeSlots(4, limits, fixture)
        }
    }

    @Test func timedOutAndCancelledSlotWaitersTakeNothing() async throws {
        try await withRateLimiter(.local) { fixture in
            let limits = fixture.limits(maxConcurrency: 1)
            let holder = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)

            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .milliseconds(100))
            }
            let cancelled = Task { try await fixture.limiter.admit(limits, tokens: 0, maxWait: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { _ = try await cancelled.value }

            await holder.finish(actualTokens: nil)
            // A second finish must not free a slot the permit no longer holds.
            await holder.finish(actualTokens: nil)
            try await expectExactlyFreeSlots(1, limits, fixture)
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func bucketWaitBeyondMaxWaitTimesOut(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            let limits = fixture.limits(rpm: 1, maxConcurrency: 1)
            let first = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
            await first.finish(actualTokens: nil)
            await expectCapacityTimeout {
                _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .milliseconds(200))
            }
            // The timed-out waiter gave its concurrency slot back.
            try await expectExactlyFreeSlots(1, fixture.limits(maxConcurrency: 1), fixture)
        }
    }

    @Test(arguments: RateLimiterBackend.allCases)
    func cancelledBucketWaiterReleasesItsSlotAndChargesNothing(_ backend: RateLimiterBackend) async throws {
        try await withRateLimiter(backend) { fixture in
            let limits = fixture.limits(rpm: 1, maxConcurrency: 1)
            let first = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
            await first.finish(actualTokens: nil)

            let waiter = Task { try await fixture.limiter.admit(limits, tokens: 0, maxWait: .seconds(600)) }
            try await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }

            // Same provider without rate limits: only its concurrency slot counts.
            try await expectExactlyFreeSlots(1, fixture.limits(maxConcurrency: 1), fixture)
            if let redis = fixture.redis {
                // One request charged, by the first call only.
                let left = try #require(try await fixture.storedLevel("r", in: redis))
                #expect(left > -0.5)
            }
        }
    }

    /// Exactly `count` admissions succeed at once, then the next finds no slot.
    private func expectExactlyFreeSlots(_ count: Int, _ limits: ProviderLimits, _ fixture: RateLimiterFixture) async throws {
        var permits: [CallPermit] = []
        for _ in 0..<count {
            permits.append(try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero))
        }
        await expectCapacityTimeout {
            _ = try await fixture.limiter.admit(limits, tokens: 0, maxWait: .zero)
        }
        for permit in permits { await permit.finish(actualTokens: nil) }
    }
}

/// Counts calls between `enter` and `leave`, and the most at any one time.
private final class InFlightCounter: Sendable {
    private let state = Mutex((now: 0, most: 0))

    var most: Int { state.withLock { $0.most } }

    func enter() {
        state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
    }

    func leave() {
        state.withLock { $0.now -= 1 }
    }
}
