import Dispatch
import Foundation
import Synchronization

/// Threads of our own that run encoder jobs, so the forward pass — seconds of
/// blocking, CPU-bound work — never occupies Swift's cooperative pool.
///
/// Each thread runs one job at a time, single-threaded (its oneDNN GEMMs get an OpenMP
/// team of one), with a `BertEncoder.Workspace` it keeps for its lifetime. Parallelism
/// comes from giving each thread its own part of the work: with a core per thread,
/// nothing waits at an OpenMP barrier and every element-wise loop runs in parallel too.
/// Jobs are taken first come, first served.
final class ComputePool: Sendable {
    typealias Job = @Sendable (BertEncoder.Workspace) -> Void

    struct ShutDown: Error, CustomStringConvertible {
        var description: String { "the embedder's compute threads have shut down" }
    }

    private final class Shared: Sendable {
        struct State {
            var jobs: [Job] = []
            var head = 0
            var shuttingDown = false
        }

        let state = Mutex(State())
        /// One signal per queued job, plus one per thread at shutdown.
        let signals = DispatchSemaphore(value: 0)

        func next() -> Job? {
            signals.wait()
            return state.withLock { state in
                guard state.head < state.jobs.count else { return nil }
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 64, state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
        }
    }

    let threadCount: Int
    private let shared = Shared()

    /// Starts `threads` threads named `name-0`, `name-1`, ….
    init(threads: Int, name: String) {
        precondition(threads > 0)
        self.threadCount = threads
        for index in 0..<threads {
            let shared = self.shared
            let threadName = "\(name)-\(index)"
            let thread = Thread {
                Thread.current.name = threadName  // set from the thread itself so the OS sees it
                ComputeThreads.setThreadCount(1)
                let workspace = BertEncoder.Workspace()
                while let job = shared.next() { job(workspace) }
            }
            thread.name = threadName
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    deinit { shutDown() }

    /// Lets queued jobs finish, then ends the threads. Later `run` calls fail.
    func shutDown() {
        let alreadyShuttingDown = shared.state.withLock { state in
            defer { state.shuttingDown = true }
            return state.shuttingDown
        }
        guard !alreadyShuttingDown else { return }
        for _ in 0..<threadCount { shared.signals.signal() }
    }

    /// Runs `body` on one of the pool's threads and suspends the caller until it is done.
    /// A caller cancelled before its job starts gets `CancellationError` and the job is
    /// skipped; a job that has started runs to the end.
    func run<Result: Sendable>(_ body: @escaping @Sendable (BertEncoder.Workspace) throws -> Result) async throws -> Result {
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                let accepted = shared.state.withLock { state in
                    guard !state.shuttingDown else { return false }
                    state.jobs.append { workspace in
                        guard !cancelled.isSet else {
                            continuation.resume(throwing: CancellationError())
                            return
                        }
                        continuation.resume(with: Swift.Result { try body(workspace) })
                    }
                    return true
                }
                if accepted {
                    shared.signals.signal()
                } else {
                    continuation.resume(throwing: ShutDown())
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    private final class CancellationFlag: Sendable {
        private let value = Atomic(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }
}
