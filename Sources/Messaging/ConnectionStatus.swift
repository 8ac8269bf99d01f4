import Synchronization

/// Observable connection state, read by readiness checks from any thread.
public final class ConnectionStatus: Sendable {
    private let connected = Atomic<Bool>(false)
    private let connects = Atomic<Int>(0)

    public init() {}

    /// Whether the connection is up right now.
    public var isConnected: Bool { connected.load(ordering: .acquiring) }
    /// How many times a connection was established (1 + reconnects).
    public var connectCount: Int { connects.load(ordering: .relaxed) }

    func markConnected() {
        connects.add(1, ordering: .relaxed)
        connected.store(true, ordering: .releasing)
    }

    func markDisconnected() {
        connected.store(false, ordering: .releasing)
    }
}
