public import Logging

/// A Redis client over hiredis with a fixed-size pool of connections.
///
/// Each connection owns a thread that makes the blocking hiredis calls; callers suspend until
/// it answers. Connections open lazily, authenticate and select the database on connect, and
/// are re-opened on next use after a timeout or a broken connection, so a restarted Redis is
/// picked up without restarting the client.
///
/// ```swift
/// let redis = RedisClient(configuration: try .init(url: "redis://127.0.0.1:6379/0"), logger: logger)
/// try await redis.set("embedding:\(id)", bytes, ttl: .seconds(3600))
/// let cached = try await redis.mget(keys)              // [[UInt8]?], in key order
/// let reply = try await redis.send("INCRBY", key, 5)   // any command, binary-safe
/// await redis.shutdown()
/// ```
///
/// Connections are shared between callers, so commands that change a connection's state
/// beyond one call (`SELECT`, `SUBSCRIBE`, `WATCH`, `CLIENT REPLY`, a `MULTI` whose `EXEC` is
/// not in the same pipeline) are not supported. Blocking commands (`BLPOP`) need a
/// `commandTimeout` longer than their own timeout.
public final class RedisClient: Sendable {
    public let configuration: Configuration
    private let pool: ConnectionPool
    private let tunnel: TLSTunnel?
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = RedisClient.loggingDisabled) {
        precondition(configuration.poolSize > 0, "poolSize must be at least 1")
        precondition(configuration.connectTimeout > .zero, "connectTimeout must be positive")
        // A zero socket timeout means "wait forever" to the kernel.
        precondition(configuration.commandTimeout > .zero, "commandTimeout must be positive")
        var logger = logger
        logger[metadataKey: "redis.host"] = "\(configuration.host)"
        logger[metadataKey: "redis.port"] = "\(configuration.port)"
        logger[metadataKey: "redis.database"] = "\(configuration.database)"
        self.configuration = configuration
        self.logger = logger
        self.tunnel = configuration.tls.map {
            TLSTunnel(host: configuration.host, port: configuration.port, tls: $0, connectTimeout: configuration.connectTimeout, logger: logger)
        }
        self.pool = ConnectionPool(configuration: configuration, tunnel: tunnel, logger: logger)
    }

    public static let loggingDisabled = Logger(label: "memgrid.redis", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Sends one command and returns its reply.
    /// An error reply from Redis is thrown as `.server`; use `pipeline` to receive it as a value.
    public func send(_ command: [RedisArgument]) async throws -> RedisValue {
        let reply = try await pipeline([command])[0]
        if let message = reply.errorMessage {
            throw Error(code: .server, message: message)
        }
        return reply
    }

    /// `send(["SET", key, value])` spelled `send("SET", key, value)`, mixing strings and bytes.
    public func send(_ command: any RedisArgumentConvertible...) async throws -> RedisValue {
        try await send(command.map(\.redisArgument))
    }

    /// Writes every command, then reads every reply: one round trip on one connection.
    /// Replies come back in command order; error replies are `.error` values, not thrown.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        guard commands.allSatisfy({ !$0.isEmpty }) else {
            throw Error(code: .invalidArgument, message: "a command needs at least its name")
        }
        return try await pool.withConnection { connection in
            try await connection.execute(commands)
        }
    }

    /// Fails queued and later commands with `.closed`, lets in-flight commands finish, and
    /// returns once every connection is closed and every connection thread has ended.
    public func shutdown() async {
        logger.debug("Shutting down Redis client")
        await pool.shutdown()
        await tunnel?.shutdown()
    }
}
