import Synchronization

/// Resumes one waiting `publish` call once every message of its batch is confirmed,
/// or with the first failure.
final class PublishCompletion: Sendable {
    private struct State {
        var remaining: Int
        var error: BrokerError?
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private let state: Mutex<State>

    init(count: Int, continuation: CheckedContinuation<Void, any Error>) {
        state = Mutex(State(remaining: count, continuation: continuation))
    }

    func settle(_ error: BrokerError?) {
        let resume: (CheckedContinuation<Void, any Error>, BrokerError?)? = state.withLock { state in
            if state.error == nil { state.error = error }
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.error)
        }
        guard let (continuation, error) = resume else { return }
        if let error {
            continuation.resume(throwing: error)
        } else {
            continuation.resume()
        }
    }
}
