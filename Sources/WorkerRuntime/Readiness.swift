import Synchronization

/// Named readiness checks behind `/readyz`: the process is ready when all pass.
/// Each check gets a deadline, so a dependency that hangs (say, an unreachable
/// database) reads as not ready instead of hanging the probe and, with it, shutdown.
public final class Readiness: Sendable {
    public typealias Check = @Sendable () async -> Bool
    private let checks = Mutex<[(name: String, check: Check)]>([])
    private let timeout: Duration

    public init(timeout: Duration = .seconds(2)) {
        self.timeout = timeout
    }

    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Each check's result, in registration order; checks run concurrently.
    public func evaluate() async -> [(name: String, ready: Bool)] {
        let checks = self.checks.withLock { $0 }
        return await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, entry) in checks.enumerated() {
                group.addTask { (index, await Self.run(entry.check, timeout: self.timeout)) }
            }
            var results = Array(repeating: false, count: checks.count)
            for await (index, ready) in group { results[index] = ready }
            return zip(checks, results).map { ($0.name, $1) }
        }
    }

    /// The check's answer, or false at the deadline. The check runs in a task of its own:
    /// one that ignores cancellation is abandoned, not awaited.
    private static func run(_ check: @escaping Check, timeout: Duration) async -> Bool {
        let outcome = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        let finish: @Sendable (Bool) -> Void = { value in
            outcome.withLock { continuation in
                continuation?.resume(returning: value)
                continuation = nil
            }
        }
        return await withCheckedContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let work = Task { finish(await check()) }
            Task {
                try? await Task.sleep(for: timeout)
                work.cancel()
                finish(false)
            }
        }
    }
}
