import Foundation
public import Logging
import Synchronization

/// Request/response over the broker for callers that wait (the gateway): requests go
/// out through a confirmed `Publisher` with `reply_to` = this process's private reply
/// queue and a fresh `correlation_id`; replies are matched back by that id. A request
/// carries its deadline as the message expiration, so the broker drops it unanswered
/// rather than making a worker compute something nobody waits for.
public final class RPCClient: Sendable {
    public let replyQueue: String
    /// Up while the reply queue is consumed; calls fail fast otherwise.
    public var status: ConnectionStatus { consumer.status }

    private enum Slot {
        case pending
        case waiting(CheckedContinuation<Delivery, any Error>)
        case answered(Delivery)
        case failed(any Error)
    }

    private let publisher: Publisher
    private let consumer: Consumer
    private let slots = Mutex<[String: Slot]>([:])
    private let logger: Logger

    public init(configuration: BrokerConfiguration, replyQueue: String, publisher: Publisher, logger: Logger) {
        self.replyQueue = replyQueue
        self.publisher = publisher
        self.consumer = Consumer(configuration: configuration, queue: replyQueue, prefetch: 1000, exclusive: true, logger: logger)
        self.logger = logger
    }

    /// Consumes replies until `close()`; then fails every call still waiting.
    public func run() async {
        consumer.start()
        for await delivery in consumer.deliveries {
            consumer.ack(delivery)
            guard let id = delivery.properties.correlationID else { continue }
            settle(id, with: .success(delivery))
        }
        let open = slots.withLock { slots in defer { slots = [:] }; return slots }
        for case .waiting(let continuation) in open.values {
            continuation.resume(throwing: BrokerError(.closed, "RPC client closed"))
        }
    }

    public func close() async {
        await consumer.close()
    }

    /// Publishes `message` as a request and waits for its reply, at most `timeout`.
    /// Throws `BrokerError(.replyTimeout)` when none arrives in time.
    public func call(_ message: OutgoingMessage, timeout: Duration) async throws -> Delivery {
        guard consumer.status.isConnected else {
            throw BrokerError(.connectionLost, "the RPC reply queue is not connected")
        }
        let id = UUID().uuidString
        var message = message
        message.properties.correlationID = id
        message.properties.replyTo = replyQueue
        message.properties.persistent = false
        message.properties.expiration = String(timeout.wholeMilliseconds)
        slots.withLock { $0[id] = .pending }
        do {
            try await publisher.publish(message)
        } catch {
            _ = slots.withLock { $0.removeValue(forKey: id) }
            throw error
        }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.settle(id, with: .failure(BrokerError(.replyTimeout, "no reply within \(timeout)")))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Delivery, any Error>? = slots.withLock { slots in
                    switch slots[id] {
                    case .pending?:
                        slots[id] = .waiting(continuation)
                        return nil
                    case .answered(let delivery)?:
                        slots[id] = nil
                        return .success(delivery)
                    case .failed(let error)?:
                        slots[id] = nil
                        return .failure(error)
                    case .waiting?, nil:
                        return .failure(BrokerError(.closed, "RPC call settled twice"))
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            settle(id, with: .failure(CancellationError()))
        }
    }

    /// Delivers a reply or a failure to its call, whether or not the caller waits yet.
    /// A reply for a call that already gave up is dropped.
    private func settle(_ id: String, with result: Result<Delivery, any Error>) {
        let continuation: CheckedContinuation<Delivery, any Error>? = slots.withLock { slots in
            switch slots[id] {
            case .waiting(let continuation)?:
                slots[id] = nil
                return continuation
            case .pending?:
                switch result {
                case .success(let delivery): slots[id] = .answered(delivery)
                case .failure(let error): slots[id] = .failed(error)
                }
                return nil
            case .answered?, .failed?, nil:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1: what an AMQP `expiration` property takes.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
