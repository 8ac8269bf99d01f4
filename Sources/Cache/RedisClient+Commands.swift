extension RedisClient {
    public func ping() async throws {
        let reply = try await send("PING")
        guard reply == .simpleString("PONG") else { throw Self.unexpected(reply, for: "PING") }
    }

    /// The value at `key`, or `nil` when it does not exist.
    public func get(_ key: some RedisArgumentConvertible) async throws -> [UInt8]? {
        let reply = try await send("GET", key)
        switch reply {
        case .null: return nil
        case .bulkString(let bytes): return bytes
        default: throw Self.unexpected(reply, for: "GET")
        }
    }

    /// `SET key value [PX ttl]`. A TTL is sent in milliseconds, rounded up.
    public func set(
        _ key: some RedisArgumentConvertible,
        _ value: some RedisArgumentConvertible,
        ttl: Duration? = nil
    ) async throws {
        let reply = try await send(try Self.setCommand(key.redisArgument, value.redisArgument, ttl: ttl))
        guard reply == .simpleString("OK") else { throw Self.unexpected(reply, for: "SET") }
    }

    /// One value per key, in key order; `nil` for a missing key.
    public func mget(_ keys: [some RedisArgumentConvertible]) async throws -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        let reply = try await send(["MGET"] + keys.map(\.redisArgument))
        guard case .array(let values) = reply, values.count == keys.count else {
            throw Self.unexpected(reply, for: "MGET")
        }
        return try values.map { value in
            switch value {
            case .null: return nil
            case .bulkString(let bytes): return bytes
            default: throw Self.unexpected(value, for: "MGET")
            }
        }
    }

    /// Sets every pair in one round trip: one pipeline of `SET … PX ttl`, or a single `MSET`
    /// without a TTL. Not atomic: on error some keys may already be written.
    public func setMany<Key: RedisArgumentConvertible, Value: RedisArgumentConvertible>(
        _ pairs: [(Key, Value)],
        ttl: Duration? = nil
    ) async throws {
        guard !pairs.isEmpty else { return }
        let commands: [[RedisArgument]]
        if ttl == nil {
            commands = [["MSET"] + pairs.flatMap { [$0.0.redisArgument, $0.1.redisArgument] }]
        } else {
            commands = try pairs.map { try Self.setCommand($0.0.redisArgument, $0.1.redisArgument, ttl: ttl) }
        }
        for reply in try await pipeline(commands) {
            if let message = reply.errorMessage { throw Error(code: .server, message: message) }
            guard reply == .simpleString("OK") else { throw Self.unexpected(reply, for: "SET") }
        }
    }

    /// Deletes the keys; returns how many existed.
    @discardableResult
    public func del(_ keys: [some RedisArgumentConvertible]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let reply = try await send(["DEL"] + keys.map(\.redisArgument))
        guard case .integer(let count) = reply else { throw Self.unexpected(reply, for: "DEL") }
        return Int(count)
    }

    /// `EVAL script numkeys keys… args…`.
    public func eval(
        _ script: String,
        keys: [RedisArgument] = [],
        arguments: [RedisArgument] = []
    ) async throws -> RedisValue {
        try await send(["EVAL", RedisArgument(script), RedisArgument(keys.count)] + keys + arguments)
    }

    /// `EVALSHA sha1 numkeys keys… args…`. An unknown script throws `.server` with a message
    /// starting with `NOSCRIPT`: load it with `scriptLoad` (or use `eval`) and retry.
    public func evalsha(
        _ sha1: String,
        keys: [RedisArgument] = [],
        arguments: [RedisArgument] = []
    ) async throws -> RedisValue {
        try await send(["EVALSHA", RedisArgument(sha1), RedisArgument(keys.count)] + keys + arguments)
    }

    /// `SCRIPT LOAD script`; returns the SHA1 to pass to `evalsha`.
    public func scriptLoad(_ script: String) async throws -> String {
        let reply = try await send("SCRIPT", "LOAD", script)
        guard case .bulkString = reply, let sha1 = reply.string else { throw Self.unexpected(reply, for: "SCRIPT LOAD") }
        return sha1
    }

    public static func setCommand(_ key: RedisArgument, _ value: RedisArgument, ttl: Duration?) throws -> [RedisArgument] {
        guard let ttl else { return ["SET", key, value] }
        guard ttl > .zero else {
            throw Error(code: .invalidArgument, message: "a TTL must be positive")
        }
        let (seconds, attoseconds) = ttl.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return ["SET", key, value, "PX", RedisArgument(milliseconds)]
    }

    /// Names the reply's kind only: its content may be a cached value.
    private static func unexpected(_ reply: RedisValue, for command: String) -> Error {
        let kind = switch reply {
        case .null: "null"
        case .integer: "integer"
        case .bulkString: "bulk string"
        case .simpleString: "simple string"
        case .array: "array"
        case .error: "error"
        }
        return Error(code: .unexpectedReply, message: "unexpected \(kind) reply to \(command)")
    }
}
