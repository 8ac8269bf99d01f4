import Dispatch

/// Queue depths over one long-lived broker connection, for a caller that reads dozens of
/// them every few seconds (the dashboard): a connection per read would cost a TCP, AMQP
/// (and TLS) handshake each time and churn the broker's connection table.
///
/// The connection lives on one serial dispatch queue: librabbitmq is not thread-safe and
/// its calls block, so they stay off Swift's cooperative pool. A read that fails on the
/// kept connection (closed by the broker meanwhile, or its channel closed by a passive
/// declare of a missing queue) is tried once on a new connection.
public final class QueueDepthReader: @unchecked Sendable {
    private let configuration: BrokerConfiguration
    private let queue = DispatchQueue(label: "memgrid-queue-depths")
    /// Only touched on `queue`.
    private var connection: AMQPConnection?

    public init(configuration: BrokerConfiguration) {
        self.configuration = configuration
    }

    /// Ready messages (not counting unacked ones) and consumers of each queue. Fails as a
    /// whole if any queue is missing.
    public func depths(_ queues: [String]) async throws -> [String: (messages: Int, consumers: Int)] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(BrokerError) in try self.read(queues) })
            }
        }
    }

    /// Closes the kept connection; a later read opens another.
    public func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                self.connection?.close()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func read(_ queues: [String]) throws(BrokerError) -> [String: (messages: Int, consumers: Int)] {
        if let kept = connection {
            if let depths = try? Self.read(queues, on: kept) { return depths }
            // Dead or without a channel: no close handshake to wait for.
            kept.abandon()
            connection = nil
        }
        let fresh = try AMQPConnection.open(configuration)
        do {
            let depths = try Self.read(queues, on: fresh)
            connection = fresh
            return depths
        } catch {
            fresh.abandon()
            throw error
        }
    }

    private static func read(
        _ queues: [String], on connection: AMQPConnection
    ) throws(BrokerError) -> [String: (messages: Int, consumers: Int)] {
        var depths: [String: (messages: Int, consumers: Int)] = [:]
        for queue in queues { depths[queue] = try connection.declareQueue(queue, passive: true) }
        return depths
    }
}
