/// One reply from Redis (RESP2).
///
/// A reply that Redis sends as an error (`-ERR ...`) is a value here, not a thrown error:
/// inside a pipeline one failing command must not hide the replies of the others.
/// `RedisClient.send` turns a top-level error reply into a thrown `RedisClient.Error`.
public enum RedisValue: Sendable, Hashable {
    /// `$-1` / `*-1`: a missing key or a timed-out blocking pop.
    case null
    case integer(Int64)
    /// Binary-safe bytes, exactly as stored.
    case bulkString([UInt8])
    /// Status replies such as `OK`, `PONG` or `QUEUED`.
    case simpleString(String)
    case array([RedisValue])
    /// The server's error text, e.g. `NOSCRIPT No matching script...`.
    case error(String)
}

extension RedisValue {
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The bytes of a bulk or simple string; `nil` for every other kind.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let string): Array(string.utf8)
        default: nil
        }
    }

    /// A bulk or simple string decoded as UTF-8 (invalid sequences are repaired).
    public var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .simpleString(let string): string
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (as `GET` of a counter returns).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The server's error text when this is an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
