import Contracts
import Foundation
public import Logging
import Messaging
import PostgresNIO
public import Prometheus
public import ProviderHTTP
import ServiceLifecycle
import Storage
public import WorkerRuntime

/// Wires `memgrid-proactive-worker`: `memory.*` events (reminders, debounced summary
/// refreshes, webhook fan-out), the reminder firing loop, the change-event outbox relay,
/// webhook deliveries, and scheduled maintenance.
/// See docs/proactive.md.
public enum ProactiveWorkerApp {
    public struct Configuration: Sendable {
        /// A burst of new memories of a user becomes one summary refresh this long after the last one…
        public var summaryDebounce: Duration
        /// …but never later than this after the first.
        public var summaryMaxDelay: Duration
        /// How long before a memory's stated time its reminder fires.
        public var reminderLead: Duration
        /// How long a replica holds claimed reminders before others may take them over.
        public var reminderLease: Duration
        /// A reminder fired more than this past its due time is marked late.
        public var reminderLateAfter: Duration
        /// Reminders claimed per database round trip.
        public var reminderBatch: Int
        /// Claims before a reminder whose publish keeps failing is marked failed.
        public var reminderMaxAttempts: Int
        /// How often the loops look for due work when the last look found none.
        public var pollInterval: Duration
        /// How long one webhook request may take before it counts as failed (and is retried).
        public var webhookTimeout: Duration
        /// Where tenants' webhooks may point.
        public var webhookEgress: EgressPolicy
        /// Consolidation and expiry (see `MaintenanceScheduler`).
        public var maintenance: Maintenance

        public init(environment: EnvironmentReader) throws {
            summaryDebounce = try environment.milliseconds("MEMGRID_SUMMARY_DEBOUNCE_MS", default: .seconds(30))
            summaryMaxDelay = try environment.milliseconds("MEMGRID_SUMMARY_MAX_DELAY_MS", default: .seconds(300))
            reminderLead = try environment.milliseconds("MEMGRID_REMINDER_LEAD_MS", default: .seconds(0))
            reminderLease = try environment.milliseconds("MEMGRID_REMINDER_LEASE_MS", default: .seconds(30))
            reminderLateAfter = try environment.milliseconds("MEMGRID_REMINDER_LATE_AFTER_MS", default: .seconds(300))
            reminderBatch = try environment.int("MEMGRID_REMINDER_BATCH", default: 500, range: 1...10_000)
            reminderMaxAttempts = try environment.int("MEMGRID_REMINDER_MAX_ATTEMPTS", default: 10, range: 1...1000)
            pollInterval = try environment.milliseconds("MEMGRID_PROACTIVE_POLL_MS", default: .seconds(1))
            webhookTimeout = try environment.milliseconds("MEMGRID_WEBHOOK_TIMEOUT_MS", default: .seconds(10))
            webhookEgress = try EgressPolicy(webhooksFrom: environment)
            maintenance = try Maintenance(environment: environment)
        }
    }

    public static func build(
        configuration: WorkerProcessConfiguration, proactive: Configuration, registry: PrometheusCollectorRegistry,
        logger: Logger, clock: any WallClock = SystemClock(), instance: String = ProactiveWorkerApp.instanceName()
    ) throws -> WorkerProcess.Parts {
        let process = configuration.process
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        let topology = process.declaration.topology
        let publisher = WorkerProcess.makePublisher(configuration: configuration, logger: logger)
        let reminders = ReminderRepository(client: database)
        let factory = PrometheusMetricsFactory(registry: registry)
        let firer = ReminderFirer(
            reminders: reminders, publisher: publisher, topology: topology, configuration: proactive, clock: clock,
            owner: instance, factory: factory, logger: logger)
        let summaries = SummaryScheduler(
            refreshes: SummaryRefreshRepository(client: database), publisher: publisher, topology: topology,
            configuration: proactive, clock: clock, logger: logger)
        let consolidation = ConsolidationRepository(client: database)
        let relay = OutboxRelay(
            outbox: EventOutbox(client: database), publisher: publisher, topology: topology, interval: proactive.pollInterval, factory: factory,
            logger: logger)
        let maintenance = MaintenanceScheduler(
            runs: MaintenanceRepository(client: database), consolidation: consolidation,
            largeUsers: LargeUserRepository(client: database), publisher: publisher,
            topology: topology, configuration: proactive.maintenance, clock: clock, owner: instance, factory: factory, logger: logger)
        return try WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger,
            dependencies: [DatabaseService(client: database), firer, summaries, maintenance, relay], publisher: publisher
        ) { _ in
            var jobs = JobRouter()
            let refreshes = SummaryRefreshRepository(client: database)
            let fanout = WebhookFanout(webhooks: WebhookRepository(client: database), publisher: publisher, topology: topology)
            jobs.register(MemoryCreatedHandler(
                memories: MemoryRepository(client: database), reminders: reminders, refreshes: refreshes, fanout: fanout,
                configuration: proactive, clock: clock))
            jobs.register(MemoryChangedHandler<MemoryUpdated>(refreshes: refreshes, fanout: fanout, configuration: proactive, clock: clock))
            jobs.register(MemoryChangedHandler<MemorySuperseded>(refreshes: refreshes, fanout: fanout, configuration: proactive, clock: clock))
            jobs.register(MemoryChangedHandler<MemoryDeleted>(refreshes: refreshes, fanout: fanout, configuration: proactive, clock: clock))
            jobs.register(UserErasedHandler(fanout: fanout))
            jobs.register(WebhookDelivery(
                webhooks: WebhookRepository(client: database), egress: proactive.webhookEgress, timeout: proactive.webhookTimeout, clock: clock,
                factory: factory))
            jobs.register(ConsolidateJobHandler(consolidation: consolidation, threshold: proactive.maintenance.threshold, factory: factory))
            return jobs
        }
    }

    /// This replica's name in reminder leases: host and a random suffix, so two processes
    /// on one host differ.
    public static func instanceName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(UUID().uuidString.prefix(8).lowercased())"
    }
}
