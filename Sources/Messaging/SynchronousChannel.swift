import CRabbitMQ
import Foundation

/// A connection's channel used synchronously by the thread that owns it, to consume
/// messages and publish with confirms at the same time: each read sorts the frames that
/// arrive (deliveries, confirms, returns) into what they belong to.
///
/// Every publish is `mandatory`. The broker sends a `basic.return` for an unroutable
/// message before its `basic.ack`, so a return is matched to the oldest unsettled
/// publish with the same exchange, routing key and message id (any two such publishes
/// are interchangeable), and that publish then fails as unroutable.
final class SynchronousChannel {
    private struct Key: Hashable {
        var exchange: String
        var routingKey: String
        var messageID: String?
    }

    let connection: AMQPConnection
    private var nextSequence: UInt64 = 1
    private var unsettled: [UInt64: Key] = [:]
    private var returned: Set<UInt64> = []
    private var failures: [UInt64: BrokerError] = [:]
    /// Deliveries read while waiting for something else, oldest first.
    private var inbox: [(consumerTag: String, message: RetainedMessage)] = []
    private var inboxStart = 0

    init(connection: AMQPConnection) throws(BrokerError) {
        self.connection = connection
        try connection.enableConfirms()
    }

    // MARK: - Consuming

    /// Starts consuming `queue` with manual acks, at most `prefetch` unacked at a time.
    func consume(_ queue: String, prefetch: Int) throws(BrokerError) -> String {
        try connection.setPrefetch(prefetch)
        return try connection.consume(queue)
    }

    /// Stops deliveries to `consumerTag`. Those still on their way, and every unacked
    /// one, stay unacked until the connection closes.
    func cancel(_ consumerTag: String) throws(BrokerError) {
        try connection.cancel(consumerTag)
    }

    func ack(_ message: RetainedMessage) throws(BrokerError) {
        try connection.ack(message.deliveryTag)
    }

    /// The next delivery to `consumerTag`, or nil if none came within `timeout`.
    /// Deliveries to other (cancelled) consumers are passed over, left unacked.
    func nextDelivery(for consumerTag: String, timeout: Duration) throws(BrokerError) -> RetainedMessage? {
        let deadline = ContinuousClock.now + timeout
        while true {
            while inboxStart < inbox.count {
                let (tag, message) = inbox[inboxStart]
                inboxStart += 1
                if inboxStart == inbox.count {
                    inbox.removeAll(keepingCapacity: true)
                    inboxStart = 0
                }
                if tag == consumerTag { return message }
            }
            guard try readFrame(until: deadline) else { return nil }
        }
    }

    // MARK: - Publishing

    /// Publishes `message` (made mandatory); returns its sequence number.
    func publish(_ message: OutgoingMessage) throws(BrokerError) -> UInt64 {
        var message = message
        message.mandatory = true
        try connection.publish(message)
        return track(Key(exchange: message.exchange, routingKey: message.routingKey, messageID: message.properties.messageID))
    }

    /// Publishes C properties and body as they are (mandatory); returns the sequence number.
    func publish(
        exchange: String, routingKey: String, messageID: String?, properties: inout amqp_basic_properties_t, body: amqp_bytes_t
    ) throws(BrokerError) -> UInt64 {
        try connection.publish(exchange: exchange, routingKey: routingKey, mandatory: true, properties: &properties, body: body)
        return track(Key(exchange: exchange, routingKey: routingKey, messageID: messageID))
    }

    private func track(_ key: Key) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        unsettled[sequence] = key
        return sequence
    }

    /// Waits until every message published so far is settled, at most `timeout`.
    /// - Returns: the messages the broker did not take, by sequence number: nacked,
    ///   unroutable, or not confirmed in time (`confirmTimeout`). The rest are confirmed.
    func settle(timeout: Duration) throws(BrokerError) -> [UInt64: BrokerError] {
        let deadline = ContinuousClock.now + timeout
        while !unsettled.isEmpty {
            guard try readFrame(until: deadline) else {
                for sequence in unsettled.keys {
                    failures[sequence] = BrokerError(.confirmTimeout, "no publisher confirm within \(timeout)")
                }
                unsettled.removeAll()
                returned.removeAll()
                break
            }
        }
        defer { failures.removeAll() }
        return failures
    }

    private func settle(upTo tag: UInt64, multiple: Bool, error: BrokerError?) {
        let sequences = multiple ? unsettled.keys.filter { $0 <= tag } : (unsettled[tag] == nil ? [] : [tag])
        for sequence in sequences {
            guard let key = unsettled.removeValue(forKey: sequence) else { continue }
            if returned.remove(sequence) != nil {
                failures[sequence] = BrokerError(
                    .unroutable, "no queue bound for exchange '\(key.exchange)' routing key '\(key.routingKey)'")
            } else if let error {
                failures[sequence] = error
            }
        }
    }

    // MARK: - Reading

    /// Reads and sorts one method frame (with its content), waiting until `deadline`.
    /// - Returns: false if the deadline passed first.
    private func readFrame(until deadline: ContinuousClock.Instant) throws(BrokerError) -> Bool {
        while true {
            // The frame read before is done with: its buffers may go back to the pool.
            connection.releaseBuffers()
            guard let frame = try connection.nextFrame() else {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return false }
                _ = connection.wait(wakeFD: -1, timeoutMilliseconds: Int32(clamping: min(left, .milliseconds(250)).wholeMilliseconds))
                continue
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            let method = frame.payload.method
            switch method.id {
            case MEMGRID_BASIC_DELIVER:
                let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
                let consumerTag = String(amqpBytes: deliver.consumer_tag)
                let message = try connection.readRetainedContent(
                    exchange: String(amqpBytes: deliver.exchange), routingKey: String(amqpBytes: deliver.routing_key),
                    redelivered: deliver.redelivered != 0, deliveryTag: deliver.delivery_tag)
                inbox.append((consumerTag, message))
            case MEMGRID_BASIC_ACK:
                let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                settle(upTo: ack.delivery_tag, multiple: ack.multiple != 0, error: nil)
            case MEMGRID_BASIC_NACK:
                let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                settle(upTo: nack.delivery_tag, multiple: nack.multiple != 0, error: BrokerError(.nacked, "the broker refused the message"))
            case MEMGRID_BASIC_RETURN:
                let info = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                let exchange = String(amqpBytes: info.exchange)
                let routingKey = String(amqpBytes: info.routing_key)
                let (properties, _) = try connection.readContent()
                let key = Key(exchange: exchange, routingKey: routingKey, messageID: properties.messageID)
                if let sequence = unsettled.filter({ $0.value == key && !returned.contains($0.key) }).keys.min() {
                    returned.insert(sequence)
                }
            case MEMGRID_BASIC_CANCEL:
                throw BrokerError(.connectionLost, "the broker cancelled the consumer (queue deleted?)")
            case MEMGRID_CHANNEL_CLOSE, MEMGRID_CONNECTION_CLOSE:
                throw BrokerError(.channelClosed, AMQPConnection.describeServerClose(method))
            default:
                continue
            }
            return true
        }
    }
}
