import Synchronization

/// Fails an operation that makes no progress for `timeout`: without progress reports a
/// whole answer must arrive within it; a stream reporting each read may run as long as
/// it keeps sending. One watchdog task per call rather than a timer per read.
final class IdleTimeout: Sendable {
    private let start = ContinuousClock.now
    /// Nanoseconds after `start`.
    private let lastProgress = Atomic<Int64>(0)

    private init() {}

    func progressed() {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        lastProgress.store(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// Runs `body`, throwing `expired` (and cancelling `body`) once it went `timeout`
    /// without progress.
    static func run<T: Sendable>(
        timeout: Duration, expired: LLMError, _ body: @escaping @Sendable (IdleTimeout) async throws -> T
    ) async throws -> T {
        let idle = IdleTimeout()
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body(idle) }
            group.addTask {
                var deadline = idle.start + timeout
                while true {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    let next = idle.start + .nanoseconds(idle.lastProgress.load(ordering: .relaxed)) + timeout
                    guard next > deadline else { throw expired }
                    deadline = next
                }
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
