import Contracts
import Foundation
public import Logging
import Synchronization
import Tracing

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

    /// A streamed call: every reply is yielded until one satisfies `isFinal`.
    private struct Stream {
        let continuation: AsyncThrowingStream<Delivery, any Error>.Continuation
        let isFinal: @Sendable (Delivery) -> Bool
    }

    private let publisher: Publisher
    private let consumer: Consumer
    private let slots = Mutex<[String: Slot]>([:])
    private let streams = Mutex<[String: Stream]>([:])
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
            if let stream = streams.withLock({ $0[id] }) {
                stream.continuation.yield(delivery)
                if stream.isFinal(delivery) { stream.continuation.finish() }
            } else {
                settle(id, with: .success(delivery))
            }
        }
        let open = slots.withLock { slots in defer { slots = [:] }; return slots }
        for case .waiting(let continuation) in open.values {
            continuation.resume(throwing: BrokerError(.closed, "RPC client closed"))
        }
        for stream in streams.withLock({ streams in defer { streams = [:] }; return streams.values }) {
            stream.continuation.finish(throwing: BrokerError(.closed, "RPC client closed"))
        }
    }

    public func close() async {
        await consumer.close()
    }

    /// Publishes `message` as a request and waits for its reply, at most `timeout`.
    /// Throws `BrokerError(.replyTimeout)` when none arrives in time.
    public func call(_ message: OutgoingMessage, timeout: Duration) async throws -> Delivery {
        try await Telemetry.withSpan("rpc \(message.properties.type ?? message.routingKey)", kind: .client) { span in
            span?.attributes["rpc.system"] = "memgrid-amqp"
            span?.attributes["rpc.method"] = message.properties.type
            return try await awaitReply(message, timeout: timeout)
        }
    }

    private func awaitReply(_ message: OutgoingMessage, timeout: Duration) async throws -> Delivery {
        let (id, message) = try request(message, timeout: timeout)
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

    /// Publishes `message` as a request answered by several replies (a streamed chat
    /// completion) and yields them in order until one satisfies `isFinal`. The stream
    /// throws `BrokerError(.replyTimeout)` if the call is not over within `timeout`;
    /// ending the iteration early abandons the call (later replies are dropped).
    public func stream(
        _ message: OutgoingMessage, timeout: Duration, isFinal: @escaping @Sendable (Delivery) -> Bool
    ) async throws -> AsyncThrowingStream<Delivery, any Error> {
        let (id, message) = try request(message, timeout: timeout)
        let (replies, continuation) = AsyncThrowingStream<Delivery, any Error>.makeStream()
        streams.withLock { $0[id] = Stream(continuation: continuation, isFinal: isFinal) }
        let timer = Task {
            try await Task.sleep(for: timeout)
            continuation.finish(throwing: BrokerError(.replyTimeout, "the call did not finish within \(timeout)"))
        }
        continuation.onTermination = { [weak self] _ in
            timer.cancel()
            _ = self?.streams.withLock { $0.removeValue(forKey: id) }
        }
        do {
            try await publisher.publish(message)
        } catch {
            continuation.finish(throwing: error)
            throw error
        }
        return replies
    }

    /// `message` addressed as a request: a fresh correlation id, this client's reply
    /// queue, the deadline as expiration, and the current trace.
    private func request(_ message: OutgoingMessage, timeout: Duration) throws -> (id: String, message: OutgoingMessage) {
        guard consumer.status.isConnected else {
            throw BrokerError(.connectionLost, "the RPC reply queue is not connected")
        }
        let id = UUID().uuidString
        var message = message
        message.properties.correlationID = id
        message.properties.replyTo = replyQueue
        message.properties.persistent = false
        message.properties.expiration = String(timeout.wholeMilliseconds)
        message.properties.headers.trace(TraceContext.current)
        return (id, message)
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
