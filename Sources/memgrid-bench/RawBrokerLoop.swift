import CRabbitMQ
import Foundation
import Messaging

/// The baseline for `memgrid-bench queue`: plain librabbitmq, no runtime. One thread
/// publishes persistent messages with confirms (a bounded window in flight), another
/// consumes with a prefetch window and acks each message. With `event`, the consumer
/// does per message what `JobWorker` does on the wire: publish that event (persistent,
/// confirmed) and ack the message once the event's confirm arrives.
enum RawBrokerLoop {
    /// Publishes `bodies` to `queue` and consumes them all; returns the elapsed time.
    static func run(
        configuration: BrokerConfiguration, queue: String, bodies: [Data], prefetch: Int, confirmWindow: Int = 1000,
        event: OutgoingMessage? = nil
    ) async throws -> Duration {
        let start = ContinuousClock.now
        async let published: Void = onThread("raw-publisher") {
            try publish(configuration: configuration, queue: queue, bodies: bodies, window: confirmWindow)
        }
        async let consumed: Void = onThread("raw-consumer") {
            if let event {
                try consumeAnnouncing(event, configuration: configuration, queue: queue, count: bodies.count, prefetch: prefetch)
            } else {
                try consume(configuration: configuration, queue: queue, count: bodies.count, prefetch: prefetch)
            }
        }
        _ = try await (published, consumed)
        return ContinuousClock.now - start
    }

    private static func publish(configuration: BrokerConfiguration, queue: String, bodies: [Data], window: Int) throws(BrokerError) {
        let connection = try AMQPConnection.open(configuration)
        defer { connection.close() }
        try connection.enableConfirms()
        var confirmed: UInt64 = 0
        var sent: UInt64 = 0
        for body in bodies {
            try connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: body, properties: MessageProperties(type: "noop.v1")))
            sent += 1
            while sent - confirmed >= UInt64(window) {
                confirmed = max(confirmed, try awaitConfirm(connection))
            }
        }
        while confirmed < sent {
            confirmed = max(confirmed, try awaitConfirm(connection))
        }
    }

    /// Blocks for the next basic.ack and returns the highest tag it confirms.
    private static func awaitConfirm(_ connection: AMQPConnection) throws(BrokerError) -> UInt64 {
        while true {
            let method = try nextMethod(connection)
            switch method.id {
            case MEMGRID_BASIC_ACK:
                return method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee.delivery_tag
            case MEMGRID_BASIC_NACK:
                throw BrokerError(.nacked, "baseline publish nacked")
            default:
                continue
            }
        }
    }

    /// Blocks for the next method frame; its decoded fields last until the next call.
    private static func nextMethod(_ connection: AMQPConnection) throws(BrokerError) -> amqp_method_t {
        while true {
            guard let frame = try connection.nextFrame() else {
                connection.releaseBuffers()
                _ = connection.wait(wakeFD: -1, timeoutMilliseconds: 1000)
                continue
            }
            if frame.frame_type == UInt8(AMQP_FRAME_METHOD) { return frame.payload.method }
        }
    }

    private static func consume(configuration: BrokerConfiguration, queue: String, count: Int, prefetch: Int) throws(BrokerError) {
        let connection = try AMQPConnection.open(configuration)
        defer { connection.close() }
        try connection.setPrefetch(prefetch)
        _ = try connection.consume(queue)
        var received = 0
        while received < count {
            let method = try nextMethod(connection)
            guard method.id == MEMGRID_BASIC_DELIVER else { continue }
            let tag = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee.delivery_tag
            _ = try connection.readContent()
            try connection.ack(tag)
            received += 1
        }
    }

    /// Per delivery: publish `event`, and ack the delivery when the event is confirmed.
    /// Events are published in delivery order, so event sequence number n belongs to the
    /// n-th delivery.
    private static func consumeAnnouncing(
        _ event: OutgoingMessage, configuration: BrokerConfiguration, queue: String, count: Int, prefetch: Int
    ) throws(BrokerError) {
        let connection = try AMQPConnection.open(configuration)
        defer { connection.close() }
        try connection.enableConfirms()
        try connection.setPrefetch(prefetch)
        _ = try connection.consume(queue)
        var deliveryTags: [UInt64] = [0]  // by event sequence number (from 1)
        var acked = Array(repeating: false, count: 1)
        var lowestUnacked: UInt64 = 1
        var ackCount = 0
        while ackCount < count {
            let method = try nextMethod(connection)
            switch method.id {
            case MEMGRID_BASIC_DELIVER:
                let tag = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee.delivery_tag
                _ = try connection.readContent()
                try connection.publish(event)
                deliveryTags.append(tag)
                acked.append(false)
            case MEMGRID_BASIC_ACK:
                let confirm = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                let first = confirm.multiple != 0 ? lowestUnacked : confirm.delivery_tag
                for sequence in first...max(first, confirm.delivery_tag) where !acked[Int(sequence)] {
                    try connection.ack(deliveryTags[Int(sequence)])
                    acked[Int(sequence)] = true
                    ackCount += 1
                }
                while Int(lowestUnacked) < acked.count, acked[Int(lowestUnacked)] { lowestUnacked += 1 }
            case MEMGRID_BASIC_NACK:
                throw BrokerError(.nacked, "baseline event nacked")
            default:
                continue
            }
        }
    }

    private static func onThread(_ name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try body()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = name
            thread.start()
        }
    }
}
