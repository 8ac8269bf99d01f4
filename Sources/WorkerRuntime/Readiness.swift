import Synchronization

/// Named readiness checks behind `/readyz`: the process is ready when all pass.
public final class Readiness: Sendable {
    public typealias Check = @Sendable () async -> Bool
    private let checks = Mutex<[(name: String, check: Check)]>([])

    public init() {}

    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Each check's result, in registration order.
    public func evaluate() async -> [(name: String, ready: Bool)] {
        var results: [(name: String, ready: Bool)] = []
        for (name, check) in checks.withLock({ $0 }) {
            results.append((name, await check()))
        }
        return results
    }
}
