/// Calls whose caller has gone, flagged in Redis by the process that noticed (the gateway,
/// when a streaming client disconnects) for the process doing the work (an LLM worker),
/// which looks now and then and stops paying for an answer nobody reads.
public struct CallCancellations: Sendable {
    let redis: RedisClient
    let prefix: String

    public init(redis: RedisClient, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    /// Longer than any call may run.
    static let ttl: Duration = .seconds(600)

    public func cancel(_ callID: String) async throws {
        try await redis.set(key(callID), "1", ttl: Self.ttl)
    }

    /// Redis trouble reads as "not cancelled": the call then runs to its end, as before.
    public func isCancelled(_ callID: String) async -> Bool {
        ((try? await redis.get(key(callID))) ?? nil) != nil
    }

    private func key(_ callID: String) -> String { "\(prefix):call-cancelled:\(callID)" }
}
