import Contracts
public import Logging
import Synchronization
import Tracing

/// Publishes with publisher confirms on a connection owned by its own thread.
/// `publish` returns only once the broker confirmed every message; unconfirmed
/// messages are resent across reconnects until `BrokerConfiguration.publishTimeout`.
public final class Publisher: Sendable {
    private let configuration: BrokerConfiguration
    private let declaration: TopologyDeclaration?
    private let logger: Logger
    private let mailbox = ConnectionMailbox<PublisherSession.Command>()
    private let lifecycle = Mutex(Lifecycle.idle)
    private let exited = ExitSignal()
    public let status = ConnectionStatus()

    private enum Lifecycle { case idle, running, closed }

    /// - Parameter declaration: topology to declare on every (re)connect, if any.
    public init(configuration: BrokerConfiguration, declaration: TopologyDeclaration? = nil, logger: Logger) {
        self.configuration = configuration
        self.declaration = declaration
        self.logger = logger
    }

    /// Starts the connection thread. Publishing before the first connect just waits.
    public func start() {
        let start = lifecycle.withLock { state in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        guard start else { return }
        ConnectionRunner<PublisherSession>.start(
            name: "memgrid-publisher",
            configuration: configuration, mailbox: mailbox, status: status, logger: logger,
            makeSession: { [declaration, logger] in PublisherSession(declaration: declaration, logger: logger) },
            onExit: { [exited] in exited.fire() })
    }

    public func publish(_ message: OutgoingMessage) async throws {
        try await publish([message])
    }

    /// Publishes a batch; returns when all are confirmed, throws the first failure.
    public func publish(_ messages: [OutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await Telemetry.withSpan("send \(messages[0].routingKey)", kind: .producer) { span in
            guard let span, let sent = TraceContext.current, let traceID = sent.traceID else { return try await send(messages) }
            span.attributes["messaging.system"] = "rabbitmq"
            span.attributes["messaging.operation.type"] = "send"
            span.attributes["messaging.destination.name"] = messages[0].exchange
            span.attributes["messaging.rabbitmq.destination.routing_key"] = messages[0].routingKey
            span.attributes["messaging.batch.message_count"] = messages.count
            // Messages of this trace name this span as parent: a consumer's span then starts
            // where the send ended, and the gap between them is the time in the queue.
            try await send(messages.map { message in
                guard let header = TraceContext(headers: message.properties.headers), header.traceID == traceID else { return message }
                var message = message
                message.properties.headers.trace(sent)
                return message
            })
        }
    }

    private func send(_ messages: [OutgoingMessage]) async throws {
        guard lifecycle.withLock({ if case .running = $0 { true } else { false } }) else {
            throw BrokerError(.closed, "publisher is not running")
        }
        let deadline = ContinuousClock.now + configuration.publishTimeout
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let completion = PublishCompletion(count: messages.count, continuation: continuation)
            mailbox.send(.publish(messages, completion, deadline: deadline))
        }
    }

    /// Waits for outstanding confirms (bounded by the publish timeout), then closes.
    public func close() async {
        let wasRunning = lifecycle.withLock { state in
            defer { state = .closed }
            if case .running = state { return true }
            return false
        }
        guard wasRunning else { return }
        mailbox.requestStop()
        await exited.wait()
    }
}
