import Contracts
import Foundation
import Logging
import Messaging
import ServiceLifecycle
import Storage
import Synchronization
import WorkerRuntime

/// Samples every queue's depth (work, retry and dead-letter queues, over one long-lived
/// broker connection; dead letters also as recorded in PostgreSQL) and every process's heartbeat
/// every `interval` into a `DashboardHistory`.
/// A source that cannot be read leaves a gap, logged once until it answers again.
final class DashboardSampler: Service, Sendable {
    struct Configuration: Sendable {
        var interval: Duration
        var window: Duration

        var capacity: Int { Int((window / interval).rounded(.up)) }
    }

    let configuration: Configuration
    private let broker: QueueDepthReader
    private let topology: Topology
    private let heartbeats: HeartbeatStore
    private let deadLetters: DeadLetterRepository
    private let history: Mutex<DashboardHistory>
    private let failing = Mutex<Set<String>>([])
    private let logger: Logger

    init(
        configuration: Configuration, broker: QueueDepthReader, topology: Topology, heartbeats: HeartbeatStore,
        deadLetters: DeadLetterRepository, logger: Logger
    ) {
        self.configuration = configuration
        self.broker = broker
        self.topology = topology
        self.heartbeats = heartbeats
        self.deadLetters = deadLetters
        self.history = Mutex(DashboardHistory(capacity: configuration.capacity))
        self.logger = logger
    }

    var snapshot: DashboardHistory { history.withLock { $0 } }

    /// The queues it samples, in topology order.
    var queueNames: [String] { topology.queues.map(\.rawValue) }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sample()
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
        await broker.close()
    }

    func sample() async {
        async let depths = report("broker") { try await self.depths() }
        async let beats = report("redis") { try await self.heartbeats.readAll() }
        async let recorded = report("postgres") { try await self.deadLetters.countsByQueue(logger: self.logger) }
        var sample = (await depths, await beats ?? [])
        // Dead letters wait in their queue only until the recorder took them.
        if let recorded = await recorded, sample.0 != nil {
            for (queue, count) in recorded { sample.0?[queue]?.deadLettered += count }
        }
        history.withLock { $0.record(time: Date(), depths: sample.0, heartbeats: sample.1) }
    }

    private func depths() async throws -> [String: DashboardHistory.Depth] {
        let retryQueues = { (queue: JobQueue) in (1...self.topology.retryLevels).map { self.topology.retryQueue(queue, level: $0) } }
        let names = topology.queues.flatMap { [topology.workQueue($0), topology.deadLetterQueue($0)] + retryQueues($0) }
        let counts = try await broker.depths(names)
        return Dictionary(uniqueKeysWithValues: topology.queues.map { queue in
            let work = counts[topology.workQueue(queue)]
            return (queue.rawValue, DashboardHistory.Depth(
                ready: work?.messages ?? 0,
                retrying: retryQueues(queue).reduce(0) { $0 + (counts[$1]?.messages ?? 0) },
                deadLettered: counts[topology.deadLetterQueue(queue)]?.messages ?? 0,
                consumers: work?.consumers ?? 0))
        })
    }

    /// The source's answer, or nil; the first failure in a row is logged.
    private func report<T: Sendable>(_ source: String, _ read: @Sendable () async throws -> T) async -> T? {
        do {
            let value = try await read()
            if failing.withLock({ $0.remove(source) }) != nil { logger.info("dashboard sampling resumed", metadata: ["dashboard.source": "\(source)"]) }
            return value
        } catch {
            if failing.withLock({ $0.insert(source).inserted }) {
                logger.warning("dashboard sample incomplete", metadata: ["dashboard.source": "\(source)", "error": "\(error)"])
            }
            return nil
        }
    }
}
