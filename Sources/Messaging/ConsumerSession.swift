import CRabbitMQ
import Foundation

/// The consumer's connection thread state. Each connection is a new generation:
/// acks for deliveries of an older one are dropped, because the broker has already
/// requeued those messages when that connection died.
final class ConsumerSession: ConnectionSession {
    enum Command: Sendable {
        case ack(UInt64, generation: UInt64)
        case reject(UInt64, requeue: Bool, generation: UInt64)
        case cancel
    }

    private let queue: String
    private let prefetch: Int
    private let declaration: TopologyDeclaration?
    private let exclusive: Bool
    private let deliveries: AsyncStream<Delivery>.Continuation
    private var generation: UInt64 = 0
    private var consumerTag: String?
    private var cancelled = false

    init(
        queue: String, prefetch: Int, declaration: TopologyDeclaration?, exclusive: Bool,
        deliveries: AsyncStream<Delivery>.Continuation
    ) {
        self.queue = queue
        self.prefetch = prefetch
        self.declaration = declaration
        self.exclusive = exclusive
        self.deliveries = deliveries
    }

    func connected(_ connection: AMQPConnection) throws(BrokerError) {
        generation += 1
        consumerTag = nil
        if let declaration { try declaration.declare(on: connection) }
        if exclusive { try connection.declareQueue(queue, exclusive: true) }
        try connection.setPrefetch(prefetch)
        if !cancelled { consumerTag = try connection.consume(queue) }
    }

    func perform(_ commands: [Command], on connection: AMQPConnection) throws(BrokerError) {
        for command in commands {
            switch command {
            case .ack(let tag, let generation) where generation == self.generation:
                try connection.ack(tag)
            case .reject(let tag, let requeue, let generation) where generation == self.generation:
                try connection.reject(tag, requeue: requeue)
            case .cancel where !cancelled:
                cancelled = true
                if let consumerTag { try connection.cancel(consumerTag) }
            default:
                break
            }
        }
    }

    func park(_ commands: [Command]) {
        // Acks and rejects are moot without the connection they belong to; a cancel
        // must still prevent consuming on the next one.
        for case .cancel in commands { cancelled = true }
    }

    func received(_ frame: amqp_frame_t, on connection: AMQPConnection) throws(BrokerError) {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        let method = frame.payload.method
        switch method.id {
        case MEMGRID_BASIC_DELIVER:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let (properties, body) = try connection.readContent()
            deliveries.yield(Delivery(
                body: body, properties: properties,
                exchange: String(amqpBytes: deliver.exchange), routingKey: String(amqpBytes: deliver.routing_key),
                redelivered: deliver.redelivered != 0, deliveryTag: deliver.delivery_tag, generation: generation))
        case MEMGRID_BASIC_CANCEL:
            // The broker cancelled us (queue deleted or failed over): reconnect and redeclare.
            throw BrokerError(.connectionLost, "consumer cancelled by the broker")
        case MEMGRID_CHANNEL_CLOSE, MEMGRID_CONNECTION_CLOSE:
            throw BrokerError(.channelClosed, AMQPConnection.describeServerClose(method))
        default:
            break
        }
    }

    func tick() {}

    func disconnected(_ error: BrokerError) {}

    var canStop: Bool { true }

    func stopped() {
        deliveries.finish()
    }
}
