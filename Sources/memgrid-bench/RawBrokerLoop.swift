import CRabbitMQ
import Foundation
import Messaging

/// The baseline for `memgrid-bench queue`: plain librabbitmq, no runtime. One thread
/// publishes persistent messages with confirms (a bounded window in flight), another
/// consumes with a prefetch window and acks each message.
enum RawBrokerLoop {
    /// Publishes `bodies` to `queue` and consumes them all; returns the elapsed time.
    static func run(
        configuration: BrokerConfiguration, queue: String, bodies: [Data], prefetch: Int, confirmWindow: Int = 1000
    ) async throws -> Duration {
        let start = ContinuousClock.now
        async let published: Void = onThread("raw-publisher") {
            try publish(configuration: configuration, queue: queue, bodies: bodies, window: confirmWindow)
        }
        async let consumed: Void = onThread("raw-consumer") {
            try consume(configuration: configuration, queue: queue, count: bodies.count, prefetch: prefetch)
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
            guard let frame = try connection.nextFrame() else {
                _ = connection.wait(wakeFD: -1, timeoutMilliseconds: 1000)
                continue
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            switch frame.payload.method.id {
            case MEMGRID_BASIC_ACK:
                return frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee.delivery_tag
            case MEMGRID_BASIC_NACK:
                throw BrokerError(.nacked, "baseline publish nacked")
            default:
                continue
            }
        }
    }

    private static func consume(configuration: BrokerConfiguration, queue: String, count: Int, prefetch: Int) throws(BrokerError) {
        let connection = try AMQPConnection.open(configuration)
        defer { connection.close() }
        try connection.setPrefetch(prefetch)
        _ = try connection.consume(queue)
        var received = 0
        while received < count {
            guard let frame = try connection.nextFrame() else {
                connection.releaseBuffers()
                _ = connection.wait(wakeFD: -1, timeoutMilliseconds: 1000)
                continue
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), frame.payload.method.id == MEMGRID_BASIC_DELIVER else { continue }
            let tag = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee.delivery_tag
            _ = try connection.readContent()
            try connection.ack(tag)
            received += 1
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
