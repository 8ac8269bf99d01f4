public import Cache
public import Foundation

/// Heartbeats in Redis: one key per sender (`<prefix>:heartbeat:<role>/<instance>`) that
/// expires after `ttl`, and a sorted set `<prefix>:heartbeats` indexing them by expiry,
/// so reading them never scans the keyspace (which holds the embedding cache).
public struct HeartbeatStore: Sendable {
    public let redis: RedisClient
    public let prefix: String

    public init(redis: RedisClient, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    var indexKey: String { "\(prefix):heartbeats" }

    func key(_ id: String) -> String { "\(prefix):heartbeat:\(id)" }

    /// Stores the beat for `ttl`, in one round trip.
    public func write(_ heartbeat: Heartbeat, ttl: Duration) async throws {
        let body = try Self.encoder.encode(heartbeat)
        let expiry = heartbeat.sentAt.addingTimeInterval(ttl.seconds)
        let replies = try await redis.pipeline([
            ["SET", key(heartbeat.id).redisArgument, RedisArgument(Array(body)), "PX", RedisArgument(ttl.milliseconds)],
            ["ZADD", indexKey.redisArgument, RedisArgument(String(expiry.timeIntervalSince1970 * 1000)), heartbeat.id.redisArgument],
        ])
        if let error = replies.compactMap(\.errorMessage).first {
            throw RedisClient.Error(code: .server, message: error)
        }
    }

    /// Every live heartbeat, by role and instance. Index entries whose key expired long ago
    /// (`staleAfter`, generous for clock skew between hosts) are dropped on the way.
    public func readAll(now: Date = Date(), staleAfter: Duration = .seconds(600)) async throws -> [Heartbeat] {
        let cutoff = now.addingTimeInterval(-staleAfter.seconds).timeIntervalSince1970 * 1000
        let replies = try await redis.pipeline([
            ["ZREMRANGEBYSCORE", indexKey.redisArgument, "-inf", RedisArgument(String(cutoff))],
            ["ZRANGE", indexKey.redisArgument, "0", "-1"],
        ])
        let ids = replies.last?.array?.compactMap(\.string) ?? []
        let bodies = try await redis.mget(ids.map(key))
        return bodies.compactMap { body in body.flatMap { try? Self.decoder.decode(Heartbeat.self, from: Data($0)) } }
            .sorted { ($0.role, $0.instance) < ($1.role, $1.instance) }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
