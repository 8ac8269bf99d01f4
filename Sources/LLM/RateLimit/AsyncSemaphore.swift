import Synchronization

/// Counts holders against a limit without blocking a thread. Callers that find no free slot
/// wait in arrival order until a holder releases, their deadline passes or their task is
/// cancelled; a waiter that gives up never holds a slot, so none can leak.
///
/// The limit comes with each `acquire` (the latest one wins): provider limits arrive per call
/// and may change while the process runs.
final class AsyncSemaphore: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, any Error>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var held = 0
        var limit = 1
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())
    private let nextWaiterID = Atomic<UInt64>(0)

    /// Takes a slot, waiting at most until `deadline`. Returns false when none came free in
    /// time; throws `CancellationError` when the task is cancelled while waiting.
    func acquire(limit: Int, deadline: ContinuousClock.Instant) async throws -> Bool {
        // Fast path without a continuation: most calls find a free slot.
        let taken = state.withLock { state in
            state.limit = limit
            guard state.waiters.isEmpty, state.held < limit else { return false }
            state.held += 1
            return true
        }
        if taken { return true }

        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                enum Action { case granted, expired, cancelled, wait }
                let action: Action = state.withLock { state in
                    if state.waiters.isEmpty, state.held < limit {
                        state.held += 1
                        return .granted
                    }
                    // Checked under the lock: a cancellation handler that ran before we queued
                    // found nothing to remove, but the flag it follows is visible here.
                    if Task.isCancelled { return .cancelled }
                    if ContinuousClock.now >= deadline { return .expired }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                switch action {
                case .granted: continuation.resume(returning: true)
                case .expired: continuation.resume(returning: false)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: startTimer(forWaiter: id, deadline: deadline)
                }
            }
        } onCancel: {
            removeWaiter(id)?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Frees a slot, handing it straight to the longest waiter if the limit allows.
    func release() {
        let next: Waiter? = state.withLock { state in
            precondition(state.held > 0, "release without acquire")
            if !state.waiters.isEmpty, state.held <= state.limit {
                return state.waiters.removeFirst()
            }
            state.held -= 1
            return nil
        }
        guard let next else { return }
        next.timer?.cancel()
        next.continuation.resume(returning: true)
    }

    private func startTimer(forWaiter id: UInt64, deadline: ContinuousClock.Instant) {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            self?.removeWaiter(id)?.continuation.resume(returning: false)
        }
        let stillWaiting = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
            state.waiters[index].timer = timer
            return true
        }
        if !stillWaiting { timer.cancel() }
    }

    /// Whoever removes a waiter resumes it, so each is resumed exactly once.
    private func removeWaiter(_ id: UInt64) -> Waiter? {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        return waiter
    }
}
