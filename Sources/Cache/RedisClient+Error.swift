extension RedisClient {
    /// A failure talking to Redis. Match on `code`; `message` is for people.
    ///
    /// Messages never contain passwords, keys or values. For `.server` the message is the
    /// server's own error text (e.g. `NOSCRIPT ...`, `WRONGTYPE ...`) so callers can react to it.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case connectionFailed, connectionLost, timeout, authenticationFailed
                case server, protocolError, unexpectedReply, closed, invalidArgument
            }

            private let base: Base

            private init(_ base: Base) {
                self.base = base
            }

            /// Could not connect (refused, unreachable, connect timeout, handshake failed).
            /// The command was not sent.
            public static let connectionFailed = Code(.connectionFailed)
            /// The connection broke while a command was in flight: it may or may not have run.
            public static let connectionLost = Code(.connectionLost)
            /// No reply within `commandTimeout`, or no free connection within `acquireTimeout`.
            public static let timeout = Code(.timeout)
            /// AUTH was rejected: a configuration problem, retrying will not help.
            public static let authenticationFailed = Code(.authenticationFailed)
            /// Redis answered with an error reply.
            public static let server = Code(.server)
            /// The bytes on the wire were not valid RESP.
            public static let protocolError = Code(.protocolError)
            /// A well-formed reply of a kind the command never returns.
            public static let unexpectedReply = Code(.unexpectedReply)
            /// The client was shut down.
            public static let closed = Code(.closed)
            /// The caller passed something unusable (empty command, bad URL, non-positive TTL).
            public static let invalidArgument = Code(.invalidArgument)

            public var description: String { base.rawValue }
        }

        public var code: Code
        public var message: String

        public init(code: Code, message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { "RedisClient.Error(\(code)): \(message)" }
    }
}
