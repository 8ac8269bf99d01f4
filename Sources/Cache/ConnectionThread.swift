import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor backed by one dedicated OS thread.
///
/// hiredis calls block for up to the command timeout. They run here, never on Swift's
/// cooperative pool, so a slow Redis cannot starve unrelated async work.
final class ConnectionThread: Sendable {
    typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        var isStopping = false
    }

    private let state = Mutex(State())
    /// Signalled once per submitted job and once by `stop()`.
    private let wakeUp = DispatchSemaphore(value: 0)

    /// `name` shows in `top -H`, gdb and /proc; Linux keeps its first 15 bytes.
    init(name: String) {
        Thread { [self] in
            // Foundation applies a name to the OS thread only when set from that thread.
            Thread.current.name = name
            self.run()
        }.start()
    }

    /// Queues `job`; returns false (and drops it) once the thread is stopping.
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state in
            guard !state.isStopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeUp.signal() }
        return accepted
    }

    /// Runs the jobs already queued, then ends the thread.
    func stop() {
        let first = state.withLock { state in
            defer { state.isStopping = true }
            return !state.isStopping
        }
        if first { wakeUp.signal() }
    }

    private func run() {
        Self.blockSIGPIPE()
        while true {
            wakeUp.wait()
            let job: Job? = state.withLock { state in
                state.jobs.isEmpty ? nil : state.jobs.removeFirst()
            }
            // Every job has its own signal, so a wake-up with an empty queue is the stop signal.
            guard let job else { return }
            job()
        }
    }

    /// hiredis writes with plain `write(2)`: a peer that went away raises SIGPIPE, which kills
    /// the process by default. Blocking it on this thread only turns that into EPIPE (a
    /// `.connectionLost` error) without touching the process-wide signal disposition.
    private static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
