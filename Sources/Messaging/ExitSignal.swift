import Synchronization

/// Fires once when a connection thread exits; any number of tasks can await it.
final class ExitSignal: Sendable {
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]?>([])

    func fire() {
        let waiting = waiters.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiting { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = waiters.withLock { waiters in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if fired { continuation.resume() }
        }
    }
}
