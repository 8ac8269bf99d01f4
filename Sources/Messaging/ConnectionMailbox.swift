import CRabbitMQ
import Synchronization

/// Hands commands from any task to a connection's own thread and wakes that thread's
/// poll through an eventfd, at most once per batch.
final class ConnectionMailbox<Command: Sendable>: Sendable {
    private struct State {
        var commands: [Command] = []
        var signalled = false
        var stopping = false
    }

    private let state = Mutex(State())
    let wakeFD: Int32

    init() {
        wakeFD = memgrid_wake_fd_create()
    }

    deinit {
        memgrid_wake_fd_close(wakeFD)
    }

    func send(_ command: Command) {
        let wake = state.withLock { state in
            state.commands.append(command)
            defer { state.signalled = true }
            return !state.signalled
        }
        if wake { memgrid_wake_fd_signal(wakeFD) }
    }

    func requestStop() {
        state.withLock { $0.stopping = true }
        memgrid_wake_fd_signal(wakeFD)
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Everything sent so far, and whether a stop was requested before it: commands
    /// sent before `requestStop` are always in the batch that reports the stop.
    func take() -> (commands: [Command], stopping: Bool) {
        state.withLock { state in
            let commands = state.commands
            state.commands.removeAll(keepingCapacity: true)
            state.signalled = false
            return (commands, state.stopping)
        }
    }

    var isEmpty: Bool { state.withLock { $0.commands.isEmpty } }
}
