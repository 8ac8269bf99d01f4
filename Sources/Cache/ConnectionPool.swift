import Logging
import Synchronization

/// Lends connections to one caller at a time. Callers that find none idle wait in FIFO order,
/// for at most `acquireTimeout`, and stop waiting when their task is cancelled.
final class ConnectionPool: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<RedisConnection, any Swift.Error>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var idle: [RedisConnection]
        var waiters: [Waiter] = []
        var isShutDown = false
        /// Connections whose thread has not yet freed its context and ended.
        var live: Int
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let nextWaiterID = Atomic<UInt64>(0)
    private let acquireTimeout: Duration

    init(configuration: RedisClient.Configuration, tunnel: TLSTunnel?, logger: Logger) {
        let connections = (0..<configuration.poolSize).map {
            RedisConnection(id: $0, configuration: configuration, tunnel: tunnel, logger: logger)
        }
        self.state = Mutex(State(idle: connections, live: connections.count))
        self.acquireTimeout = configuration.acquireTimeout
    }

    deinit {
        // Only reachable without `shutdown()`; no caller can be waiting, since each holds `self`.
        let idle = state.withLock { state in
            state.isShutDown = true
            return state.idle
        }
        for connection in idle { connection.shutdown() }
    }

    func withConnection<Value: Sendable>(
        _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    /// Fails waiters, frees idle connections now and busy ones when they come back,
    /// and returns once every context is freed and every thread has ended.
    func shutdown() async {
        let (waiters, idle) = state.withLock { state in
            guard !state.isShutDown else { return ([Waiter](), [RedisConnection]()) }
            state.isShutDown = true
            defer {
                state.waiters = []
                state.idle = []
            }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: Self.closedError)
        }
        for connection in idle { retire(connection) }

        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.live == 0 { return true }
                state.shutdownWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - Lending

    private func acquire() async throws -> RedisConnection {
        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Swift.Error>) in
                enum Action { case use(RedisConnection), fail(any Swift.Error), wait }
                let action: Action = state.withLock { state in
                    if state.isShutDown { return .fail(Self.closedError) }
                    // Checked under the lock: a cancellation handler that ran before we queued
                    // found nothing to remove, but the flag it follows is already visible here.
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if let connection = state.idle.popLast() { return .use(connection) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                switch action {
                case .use(let connection): continuation.resume(returning: connection)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: startTimer(forWaiter: id)
                }
            }
        } onCancel: {
            failWaiter(id, with: CancellationError())
        }
    }

    private func startTimer(forWaiter id: UInt64) {
        let timeout = acquireTimeout
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.failWaiter(id, with: RedisClient.Error(code: .timeout, message: "no free connection within the acquire timeout"))
        }
        let stillWaiting = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
            state.waiters[index].timer = timer
            return true
        }
        if !stillWaiting { timer.cancel() }
    }

    private func failWaiter(_ id: UInt64, with error: any Swift.Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
    }

    private func release(_ connection: RedisConnection) {
        enum Action { case none, handOver(Waiter), retire }
        let action: Action = state.withLock { state in
            if state.isShutDown { return .retire }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst()) }
            // LIFO: under light load the same few connections stay warm and the rest never connect.
            state.idle.append(connection)
            return .none
        }
        switch action {
        case .none: break
        case .handOver(let waiter):
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: connection)
        case .retire: retire(connection)
        }
    }

    private func retire(_ connection: RedisConnection) {
        connection.shutdown { [self] in
            let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
                state.live -= 1
                guard state.live == 0 else { return [] }
                defer { state.shutdownWaiters = [] }
                return state.shutdownWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    private static let closedError = RedisClient.Error(code: .closed, message: "the client was shut down")
}
