public import Foundation

/// An AMQP header value. Only the kinds memgrid reads and writes; other kinds in a
/// received table (arrays, nested tables such as `x-death`) are skipped.
public enum HeaderValue: Hashable, Sendable, Codable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }
}

/// The basic-class properties memgrid uses.
public struct MessageProperties: Hashable, Sendable, Codable {
    public var contentType: String?
    public var persistent: Bool
    public var messageID: String?
    public var correlationID: String?
    public var replyTo: String?
    /// Per-message TTL in milliseconds (a decimal string on the wire).
    public var expiration: String?
    public var timestamp: Date?
    public var type: String?
    public var appID: String?
    public var headers: [String: HeaderValue]

    public init(
        contentType: String? = "application/json",
        persistent: Bool = true,
        messageID: String? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        timestamp: Date? = nil,
        type: String? = nil,
        appID: String? = nil,
        headers: [String: HeaderValue] = [:]
    ) {
        self.contentType = contentType
        self.persistent = persistent
        self.messageID = messageID
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.timestamp = timestamp
        self.type = type
        self.appID = appID
        self.headers = headers
    }
}

/// A message to publish. `mandatory` makes an unroutable message an error rather than
/// a silent drop.
public struct OutgoingMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: Data
    public var properties: MessageProperties
    public var mandatory: Bool

    public init(
        exchange: String,
        routingKey: String,
        body: Data,
        properties: MessageProperties = MessageProperties(),
        mandatory: Bool = true
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// A message received from a queue. Acknowledge it through the `Consumer` it came from.
public struct Delivery: Sendable {
    public var body: Data
    public var properties: MessageProperties
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var deliveryTag: UInt64
    /// Which connection of the consumer delivered it: tags are only valid on that one.
    package var generation: UInt64

    package init(
        body: Data, properties: MessageProperties, exchange: String, routingKey: String,
        redelivered: Bool, deliveryTag: UInt64, generation: UInt64
    ) {
        self.body = body
        self.properties = properties
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.generation = generation
    }
}
