/// An error from the broker layer: an opaque code plus context. Descriptions never
/// contain passwords or message bodies.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let invalidConfiguration = Code(name: "invalid_configuration")
        /// TCP connect, login or channel open failed.
        public static let connectionFailed = Code(name: "connection_failed")
        /// The connection dropped (socket error, heartbeat timeout, broker closed it).
        public static let connectionLost = Code(name: "connection_lost")
        /// The broker refused an operation (e.g. a declare with other arguments).
        public static let channelClosed = Code(name: "channel_closed")
        /// The broker nacked a publish.
        public static let nacked = Code(name: "nacked")
        /// A `mandatory` publish matched no queue.
        public static let unroutable = Code(name: "unroutable")
        /// No confirm arrived within the publish timeout.
        public static let confirmTimeout = Code(name: "confirm_timeout")
        /// The publisher or consumer is closed.
        public static let closed = Code(name: "closed")
        public static let protocolError = Code(name: "protocol_error")
        /// No RPC reply arrived before the caller's deadline.
        public static let replyTimeout = Code(name: "reply_timeout")
        /// An exclusive queue (a lock) is held by another connection.
        public static let resourceLocked = Code(name: "resource_locked")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "BrokerError(\(code)): \(message)" }
}
