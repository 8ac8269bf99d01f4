import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

/// Where the gateway's replica-tolerant reads go (retrieve, listings, categories, usage,
/// the dashboard, job status): a streaming standby that is up and at most `maxLag`
/// behind, else the primary. Each endpoint decides which it needs (docs/deploy-cce.md,
/// "Read replicas"); reads of what a client has just written stay on the primary.
///
/// A monitor asks every replica for its lag each `interval`. A replica whose read fails
/// is set aside at once and the read is run again on the primary, so a replica that
/// dies between two checks costs a retry, not an error.
final class ReadReplicas: Service, Sendable {
    struct Configuration: Sendable {
        var maxLag: Duration = .seconds(5)
        var interval: Duration = .seconds(1)
        /// How long a check or a read may wait on a replica. PostgresNIO keeps a query
        /// waiting while it retries connecting to a server that is gone, so without a
        /// bound a dead replica would hold its reads, and the monitor, forever.
        var timeout: Duration = .seconds(3)
    }

    struct TimedOut: Error {}

    private struct Replica: Sendable {
        let name: String
        let client: PostgresClient
    }

    let primary: PostgresClient
    private let replicas: [Replica]
    private let configuration: Configuration
    private let logger: Logger
    /// Per replica, whether reads may go there now.
    private let usable: Mutex<[Bool]>
    private let turn = Atomic<Int>(0)
    private let readsOnReplicas: Counter
    private let readsOnPrimary: Counter
    private let retriedOnPrimary: Counter

    /// `replicas`: one client configuration per standby, named for logs by host and port.
    init(
        primary: PostgresClient, replicas: [PostgresClient.Configuration], configuration: Configuration,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.primary = primary
        self.replicas = replicas.map { replica in
            var replica = replica
            // A replica that is down must cost a check or a read a second, not the default ten.
            replica.options.connectTimeout = .seconds(1)
            return Replica(
                name: "\(replica.host ?? "?"):\(replica.port ?? 5432)", client: PostgresClient(configuration: replica, backgroundLogger: logger))
        }
        self.configuration = configuration
        self.logger = logger
        usable = Mutex(Array(repeating: false, count: replicas.count))
        let label = "memgrid_database_reads_total"
        readsOnReplicas = Counter(label: label, dimensions: [("target", "replica")], factory: metrics)
        readsOnPrimary = Counter(label: label, dimensions: [("target", "primary")], factory: metrics)
        retriedOnPrimary = Counter(label: "memgrid_database_replica_read_failures_total", factory: metrics)
    }

    /// Runs `read` on a usable replica, or on the primary when none is (or when the
    /// replica's read fails: it is set aside until the monitor finds it healthy again).
    /// A replica's result that `isStale` rejects (a row written a moment ago and not yet
    /// replayed) is read again on the primary.
    func read<Result: Sendable>(
        isStale: (Result) -> Bool = { _ in false }, _ read: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        guard let index = pick() else {
            readsOnPrimary.increment()
            return try await read(primary)
        }
        let result: Result
        do {
            let client = replicas[index].client
            result = try await bounded { try await read(client) }
            readsOnReplicas.increment()
        } catch {
            usable.withLock { $0[index] = false }
            retriedOnPrimary.increment()
            logger.warning(
                "read on a replica failed; set aside, read again on the primary",
                metadata: ["replica": "\(replicas[index].name)", "error": "\(String(reflecting: error))"])
            readsOnPrimary.increment()
            return try await read(primary)
        }
        guard isStale(result) else { return result }
        readsOnPrimary.increment()
        return try await read(primary)
    }

    /// Round robin over the usable replicas.
    private func pick() -> Int? {
        let candidates = usable.withLock { state in state.indices.filter { state[$0] } }
        guard !candidates.isEmpty else { return nil }
        return candidates[turn.wrappingAdd(1, ordering: .relaxed).oldValue % candidates.count]
    }

    func run() async throws {
        // A service that returns ends its group: with nothing to watch, wait for the end.
        guard !replicas.isEmpty else { return try await gracefulShutdown() }
        await withDiscardingTaskGroup { group in
            for replica in replicas {
                group.addImmediateTask { await replica.client.run() }
            }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await self.check()
                    try? await Task.sleep(for: self.configuration.interval)
                }
            }
            group.cancelAll()
        }
    }

    /// Asks every replica how far it is behind the primary's position of a moment ago.
    private func check() async {
        guard let position = try? await primary.currentWALPosition(logger: logger) else { return }
        for (index, replica) in replicas.enumerated() {
            let lag = try? await bounded { try await replica.client.replicationLag(behind: position, logger: self.logger) }
            let healthy = lag.flatMap { $0 }.map { $0 <= configuration.maxLag } ?? false
            let changed = usable.withLock { state in
                defer { state[index] = healthy }
                return state[index] != healthy
            }
            if changed {
                logger.notice(
                    healthy ? "replica in use for reads" : "replica set aside: down or behind",
                    metadata: ["replica": "\(replica.name)", "replica.lag": "\(lag.flatMap { $0 }.map { "\($0)" } ?? "unknown")"])
            }
        }
    }

    /// `work`, or `TimedOut` once `configuration.timeout` has passed (`work` is cancelled).
    private func bounded<Value: Sendable>(_ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: self.configuration.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TimedOut() }
            return value
        }
    }
}
