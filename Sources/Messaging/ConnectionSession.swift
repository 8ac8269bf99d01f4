import CRabbitMQ

/// The role-specific half of a connection thread (publisher, consumer). Confined to the
/// connection's thread: it is created there and never leaves it.
protocol ConnectionSession: AnyObject {
    associatedtype Command: Sendable

    /// A fresh connection is up: declare topology, enable confirms, start consuming,
    /// resend what the last connection left unconfirmed.
    func connected(_ connection: AMQPConnection) throws(BrokerError)
    /// Runs a batch of commands. On a throw the session keeps whatever must survive
    /// the reconnect.
    func perform(_ commands: [Command], on connection: AMQPConnection) throws(BrokerError)
    /// Takes commands that arrive while there is no connection, so they can be kept
    /// for the next one or expire on schedule rather than wait in the mailbox.
    func park(_ commands: [Command])
    func received(_ frame: amqp_frame_t, on connection: AMQPConnection) throws(BrokerError)
    /// Periodic housekeeping, e.g. failing publishes past their deadline.
    func tick()
    func disconnected(_ error: BrokerError)
    /// Whether a requested stop may close the connection now.
    var canStop: Bool { get }
    /// The thread is exiting: fail or finish anything still waiting.
    func stopped()
}
