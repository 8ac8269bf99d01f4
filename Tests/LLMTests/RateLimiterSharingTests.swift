import Cache
import Foundation
import LLM
import Testing

/// Two "workers" (limiters with clients of their own) share one provider's buckets in Redis.
@Suite("Rate limiter shared between replicas")
struct RateLimiterSharingTests {
    struct Load: Sendable, CustomTestStringConvertible {
        var rpm: Int?
        var tpm: Int?
        var tokensPerCall: Int
        /// Calls the buckets allow at once, and per second after that.
        var burst: Double
        var perSecond: Double

        var testDescription: String {
            if let rpm { "rpm \(rpm)" } else { "tpm \(tpm ?? 0)" }
        }
    }

    @Test(arguments: [
        Load(rpm: 60, tpm: nil, tokensPerCall: 1, burst: 60, perSecond: 1),
        Load(rpm: nil, tpm: 6000, tokensPerCall: 100, burst: 60, perSecond: 1),
        // Low enough that every lease is a single call: the replicas still share it exactly.
        Load(rpm: 6, tpm: nil, tokensPerCall: 1, burst: 6, perSecond: 0.1),
    ])
    func twoWorkersTogetherStayWithinTheBuckets(_ load: Load) async throws {
        let keyPrefix = "memgrid-test:\(UUID().uuidString):ratelimit"
        let provider = "provider-\(UUID().uuidString)"
        let limits = ProviderLimits(provider: provider, rpm: load.rpm, tpm: load.tpm, maxConcurrency: 1000)
        let clients = try (0..<2).map { _ in RedisClient(configuration: try .init(url: RateLimiterFixture.redisURL)) }
        let workers = clients.map { RateLimiterFixture(redis: $0, keyPrefix: keyPrefix).limiter }

        let start = ContinuousClock.now
        let total = await withTaskGroup(of: Int.self) { group in
            for worker in workers {
                for _ in 0..<16 {
                    group.addTask {
                        // Timed from the task's own start: on a loaded test run a task may
                        // begin late, and must still hammer for the whole span.
                        let end = ContinuousClock.now + .seconds(3)
                        var granted = 0
                        while ContinuousClock.now < end {
                            do {
                                let maxWait = Duration.milliseconds(Int.random(in: 0...300))
                                let permit = try await worker.admit(limits, tokens: load.tokensPerCall, maxWait: maxWait)
                                granted += 1
                                await permit.finish(actualTokens: nil)
                            } catch let error as LLMError where error.code == .capacityTimeout {
                                // No capacity within this caller's wait: try again.
                            } catch {
                                Issue.record(error)
                                break
                            }
                        }
                        return granted
                    }
                }
            }
            return await group.reduce(0, +)
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        // Refill is counted over the whole run (longer than the grants span): a loose upper bound.
        #expect(Double(total) <= load.burst + load.perSecond * elapsed)
        // And the buckets were really drained, or the bound above proves nothing.
        #expect(Double(total) >= load.burst)

        _ = try? await clients[0].del(["\(keyPrefix):\(provider)"])
        for client in clients { await client.shutdown() }
    }
}
