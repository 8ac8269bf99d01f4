import CRabbitMQ
import Foundation

/// A message received (`basic.get` or a delivery) that keeps librabbitmq's decoded properties and body
/// until it is released, so it can be published again unchanged: header values that
/// `MessageProperties` does not model (`x-death` is an array of tables) included.
/// Confined to the thread of the connection that read it, like the connection.
final class RetainedMessage {
    private var message: amqp_message_t
    let exchange: String
    let routingKey: String
    let redelivered: Bool
    let deliveryTag: UInt64
    /// The properties as memgrid reads them.
    let properties: MessageProperties

    init(message: amqp_message_t, exchange: String, routingKey: String, redelivered: Bool, deliveryTag: UInt64) {
        self.message = message
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        properties = MessageProperties(message.properties)
    }

    deinit {
        amqp_destroy_message(&message)
    }

    var body: Data { Data(amqpBytes: message.body) }
    var bodySize: Int { message.body.len }

    /// Headers a queue adds to each delivery (quorum queues' redelivery counts): they
    /// describe that delivery, not the message.
    static let deliveryHeaders: Set<String> = ["x-delivery-count", "x-acquired-count"]

    /// Publishes the message as received (every property and header, the body's bytes)
    /// except that `expiration` and the `deliveryHeaders` are dropped and `header` is set
    /// to `value`.
    func republish(
        to exchange: String, routingKey: String, setting header: String, to value: HeaderValue,
        on channel: SynchronousChannel
    ) throws(BrokerError) -> UInt64 {
        let arena = CArena()
        var properties = message.properties
        let headers = properties._flags & MEMGRID_PROP_HEADERS != 0 ? properties.headers : amqp_empty_table
        properties.headers = arena.table(headers, removing: Self.deliveryHeaders, setting: header, to: value)
        properties._flags = (properties._flags | MEMGRID_PROP_HEADERS) & ~MEMGRID_PROP_EXPIRATION
        return try channel.publish(
            exchange: exchange, routingKey: routingKey, messageID: self.properties.messageID,
            properties: &properties, body: message.body)
    }

    /// The broker's most recent `x-death` entry, if the broker dead-lettered the message.
    var lastDeath: Death? {
        guard message.properties._flags & MEMGRID_PROP_HEADERS != 0,
              let death = Self.field("x-death", in: message.properties.headers),
              death.kind == Self.kind(AMQP_FIELD_KIND_ARRAY),
              death.value.array.num_entries > 0, let first = death.value.array.entries?[0],
              first.kind == Self.kind(AMQP_FIELD_KIND_TABLE)
        else { return nil }
        let table = first.value.table
        var record = Death()
        record.reason = Self.string("reason", in: table)
        record.exchange = Self.string("exchange", in: table)
        if let keys = Self.field("routing-keys", in: table), keys.kind == Self.kind(AMQP_FIELD_KIND_ARRAY),
           keys.value.array.num_entries > 0, let key = keys.value.array.entries?[0] {
            record.routingKey = Self.string(key)
        }
        if let time = Self.field("time", in: table), time.kind == Self.kind(AMQP_FIELD_KIND_TIMESTAMP) {
            record.time = Date(timeIntervalSince1970: TimeInterval(time.value.u64))
        }
        return record
    }

    private static func kind(_ kind: amqp_field_value_kind_t) -> UInt8 { UInt8(kind.rawValue) }

    private static func field(_ key: String, in table: amqp_table_t) -> amqp_field_value_t? {
        guard table.num_entries > 0, let entries = table.entries else { return nil }
        for index in 0..<Int(table.num_entries) where String(amqpBytes: entries[index].key) == key {
            return entries[index].value
        }
        return nil
    }

    private static func string(_ key: String, in table: amqp_table_t) -> String? {
        field(key, in: table).flatMap(string)
    }

    private static func string(_ value: amqp_field_value_t) -> String? {
        guard value.kind == kind(AMQP_FIELD_KIND_UTF8) || value.kind == kind(AMQP_FIELD_KIND_BYTES) else { return nil }
        return String(amqpBytes: value.value.bytes)
    }

    /// One entry of RabbitMQ's `x-death` header: why and where the broker dead-lettered a message.
    struct Death: Hashable {
        /// `rejected`, `expired`, `maxlen` or `delivery_limit`.
        var reason: String?
        /// Where the message was published before it died, and its first routing key.
        var exchange: String?
        var routingKey: String?
        var time: Date?
    }
}
