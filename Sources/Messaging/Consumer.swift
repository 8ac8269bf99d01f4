public import Logging
import Synchronization

/// Consumes one queue with manual acks and a prefetch window, on a connection owned by
/// its own thread. Reconnects with backoff, re-declares and resumes consuming; messages
/// unacked when a connection dies are redelivered by the broker.
public final class Consumer: Sendable {
    public let queue: String
    /// Every delivery, in order. Finishes after `close()`.
    public let deliveries: AsyncStream<Delivery>
    public let status = ConnectionStatus()
    private let continuation: AsyncStream<Delivery>.Continuation
    private let configuration: BrokerConfiguration
    private let prefetch: Int
    private let declaration: TopologyDeclaration?
    private let exclusive: Bool
    private let logger: Logger
    private let mailbox = ConnectionMailbox<ConsumerSession.Command>()
    private let started = Atomic<Bool>(false)
    private let exited = ExitSignal()

    /// - Parameter exclusive: declare `queue` as this connection's private queue on every
    ///   (re)connect, deleted when the connection goes (an RPC reply queue).
    public init(
        configuration: BrokerConfiguration,
        queue: String,
        prefetch: Int,
        declaration: TopologyDeclaration? = nil,
        exclusive: Bool = false,
        logger: Logger
    ) {
        self.configuration = configuration
        self.queue = queue
        self.prefetch = max(1, prefetch)
        self.declaration = declaration
        self.exclusive = exclusive
        self.logger = logger
        (deliveries, continuation) = AsyncStream.makeStream(of: Delivery.self)
    }

    public func start() {
        guard started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        ConnectionRunner<ConsumerSession>.start(
            name: "memgrid-consumer",
            configuration: configuration, mailbox: mailbox, status: status, logger: logger,
            makeSession: { [queue, prefetch, declaration, exclusive, continuation] in
                ConsumerSession(
                    queue: queue, prefetch: prefetch, declaration: declaration, exclusive: exclusive, deliveries: continuation)
            },
            onExit: { [exited] in exited.fire() })
    }

    public func ack(_ delivery: Delivery) {
        mailbox.send(.ack(delivery.deliveryTag, generation: delivery.generation))
    }

    /// Negative acknowledgement: `requeue` puts it back at the head of the queue,
    /// otherwise the broker dead-letters it.
    public func reject(_ delivery: Delivery, requeue: Bool) {
        mailbox.send(.reject(delivery.deliveryTag, requeue: requeue, generation: delivery.generation))
    }

    /// Stops new deliveries (basic.cancel). Messages already delivered stay valid.
    public func cancel() {
        mailbox.send(.cancel)
    }

    /// Sends every pending ack/reject, closes the connection, finishes `deliveries`.
    /// Anything still unacked goes back to the queue.
    public func close() async {
        guard started.load(ordering: .acquiring) else {
            continuation.finish()
            return
        }
        mailbox.requestStop()
        await exited.wait()
    }
}
