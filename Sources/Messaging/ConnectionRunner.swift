import CRabbitMQ
import Foundation
import Logging

/// The body of a connection thread: connect, serve until an error or a stop, reconnect
/// with backoff. All librabbitmq calls for one connection happen here, on one thread.
struct ConnectionRunner<Session: ConnectionSession> {
    let configuration: BrokerConfiguration
    let mailbox: ConnectionMailbox<Session.Command>
    let status: ConnectionStatus
    let logger: Logger

    /// Starts a dedicated thread that builds the session there and runs it.
    static func start(
        name: String,
        configuration: BrokerConfiguration,
        mailbox: ConnectionMailbox<Session.Command>,
        status: ConnectionStatus,
        logger: Logger,
        makeSession: @escaping @Sendable () -> Session,
        onExit: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            let runner = ConnectionRunner(configuration: configuration, mailbox: mailbox, status: status, logger: logger)
            runner.run(makeSession())
            onExit()
        }
        thread.name = name
        thread.start()
    }

    func run(_ session: Session) {
        var delay = configuration.reconnectBackoff.lowerBound
        // The node tried first. After a loss it is the one after the lost node, which has
        // probably died: a cluster's clients move to a live node without waiting for it.
        var first = 0
        while true {
            let connection: AMQPConnection
            do {
                connection = try AMQPConnection.open(configuration, from: first)
                first = connection.node
                try session.connected(connection)
            } catch {
                status.markDisconnected()
                session.disconnected(error)
                if mailbox.isStopping {
                    session.stopped()
                    return
                }
                logger.warning(
                    "broker connection failed; retrying",
                    metadata: ["broker.error": "\(error)", "retry.delay": "\(delay)"])
                session.park(mailbox.take().commands)
                session.tick()
                sleep(jittered(delay))
                delay = min(delay * 2, configuration.reconnectBackoff.upperBound)
                continue
            }
            status.markConnected()
            if status.connectCount > 1 {
                logger.info("broker connection re-established", metadata: ["broker.node": "\(configuration.nodes[first])"])
            }
            delay = configuration.reconnectBackoff.lowerBound
            do {
                try serve(session, on: connection)
                connection.close()
                status.markDisconnected()
                session.stopped()
                return
            } catch {
                connection.abandon()
                status.markDisconnected()
                logger.warning(
                    "broker connection lost",
                    metadata: ["broker.error": "\(error)", "broker.node": "\(configuration.nodes[first])"])
                first = (first + 1) % configuration.nodes.count
                session.disconnected(error)
                if mailbox.isStopping {
                    session.stopped()
                    return
                }
            }
        }
    }

    private func serve(_ session: Session, on connection: AMQPConnection) throws(BrokerError) {
        // Poll no longer than a quarter heartbeat, so heartbeats go out in time.
        let pollMilliseconds = Int32(clamping: max(50, configuration.heartbeat.components.seconds * 250))
        var stopRequested = false
        while true {
            let (commands, stopping) = mailbox.take()
            if !commands.isEmpty { try session.perform(commands, on: connection) }
            stopRequested = stopRequested || stopping

            // Drain what the socket already has, bounded so commands are not starved.
            var frames = 0
            while frames < 512, let frame = try connection.nextFrame() {
                try session.received(frame, on: connection)
                frames += 1
            }
            connection.releaseBuffers()
            session.tick()

            if stopRequested && session.canStop { return }
            if frames == 512 || !mailbox.isEmpty { continue }
            let ready = connection.wait(wakeFD: mailbox.wakeFD, timeoutMilliseconds: pollMilliseconds)
            if ready < 0 { throw BrokerError(.connectionLost, "poll failed: errno \(errno)") }
            if ready & 2 != 0 { memgrid_wake_fd_drain(mailbox.wakeFD) }
        }
    }

    /// Sleeps on the wake fd so a stop request cuts the backoff short.
    private func sleep(_ duration: Duration) {
        let milliseconds = Int32(clamping: duration.components.seconds * 1000
            + duration.components.attoseconds / 1_000_000_000_000_000)
        // Commands sent while disconnected stay queued; only a stop should wake us.
        memgrid_wake_fd_drain(mailbox.wakeFD)
        if mailbox.isStopping { return }
        var fds = pollfd(fd: mailbox.wakeFD, events: Int16(POLLIN), revents: 0)
        _ = poll(&fds, 1, milliseconds)
    }

    private func jittered(_ duration: Duration) -> Duration {
        duration * Double.random(in: 0.8...1.2)
    }
}
