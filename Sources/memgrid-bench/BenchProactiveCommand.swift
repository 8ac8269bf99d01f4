import ArgumentParser
import Contracts
import Foundation
import Logging
import Messaging
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import WorkerRuntime
import SystemHarness

/// `make bench-proactive`: N reminders due at once, fired by three proactive-worker
/// replicas (in this process, each with its own database pool, broker connections and
/// lease name), counted by event id on a subscriber queue. The baseline, in the same
/// invocation, publishes the same number of reminder events straight from one publisher
/// with confirms: the broker's ceiling for this message.
struct BenchProactiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proactive",
        abstract: "Reminders fired per second by proactive-worker replicas; duplicates and misses.")

    @Option(help: "Reminders due at once.")
    var count = 100_000

    @Option(help: "Proactive worker replicas.")
    var replicas = 3

    @Option(help: "Reminders each replica claims per round trip (MEMGRID_REMINDER_BATCH).")
    var batch = 500

    @Option(help: "Give up after this many seconds.")
    var timeout = 900

    func run() async throws {
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        let prefix = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let system = try SystemHarness(
            databaseURL: nil, prefix: prefix, overrides: ["MEMGRID_PROACTIVE_POLL_MS": "50", "MEMGRID_REMINDER_BATCH": "\(batch)"],
            logger: logger)
        let configuration = try system.configuration(.proactive)
        let declaration = configuration.process.declaration
        let topology = declaration.topology
        let admin = BrokerAdmin(configuration: configuration.process.broker)
        try await admin.declare(declaration)
        let subscriber = "\(prefix).bench-reminders"
        try await admin.declareQueue(subscriber)
        try await admin.bind(subscriber, to: topology.eventsExchange, routingKey: EventCatalog.proactiveReminder.name)
        let tenant = ScratchTenant(url: configuration.process.postgresURL, tenant: prefix, logger: logger)
        try await tenant.create()
        print("bench-proactive: \(count) reminders due at once, \(replicas) replicas, batch \(batch)")

        let baseline = try await publishBaseline(configuration: configuration, topology: topology, tenant: prefix, logger: logger)
        try await admin.purge(subscriber)
        let baselineRate = Double(count) / baseline.timeInterval
        print("baseline: one publisher, \(count) reminder events with confirms in \(format(baseline.timeInterval)) s = \(Int(baselineRate))/s")

        let now = Date()
        try await schedule(url: configuration.process.postgresURL, tenant: prefix, dueAt: now.addingTimeInterval(-1), logger: logger)
        let counter = EventCounter(
            consumer: Consumer(configuration: configuration.process.broker, queue: subscriber, prefetch: 2000, logger: logger))
        let counting = Task { await counter.run() }

        let start = ContinuousClock.now
        for index in 0..<replicas { try system.proactiveWorker(instance: "\(prefix)-replica-\(index)") }
        let finished = await counter.wait(for: count, timeout: .seconds(timeout))
        let elapsed = (finished ?? ContinuousClock.now) - start
        try await Task.sleep(for: .seconds(2))  // duplicates, if any, arrive now
        await system.stop()
        counter.stop()
        await counting.value

        let (received, distinct) = counter.totals
        let rate = Double(distinct) / elapsed.timeInterval
        print("fired: \(distinct) distinct reminders in \(format(elapsed.timeInterval)) s = \(Int(rate))/s, \(received) events received")
        print("ratio to the one-publisher baseline: \(format(rate / baselineRate))")
        try await tenant.drop()
        try await Self.cleanUp(admin, topology, extra: [subscriber])
        print("bench-proactive: \(Int(rate))/s fired, duplicates \(received - distinct), missed \(count - distinct)")
    }

    private func schedule(url: String, tenant: String, dueAt: Date, logger: Logger) async throws {
        let count = self.count
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger) { client in
            let repository = ReminderRepository(client: client)
            for start in stride(from: 0, to: count, by: 5000) {
                let reminders = (start..<min(start + 5000, count)).map { n in
                    ReminderRepository.NewReminder(
                        id: "\(tenant)-r\(n)", tenantID: tenant, userID: "user-\(n % 1000)", memoryID: nil,
                        text: "Benchmark reminder \(n)", dueAt: dueAt, eventAt: dueAt)
                }
                try await repository.schedule(reminders, logger: logger)
            }
        }
    }

    private func publishBaseline(
        configuration: WorkerProcessConfiguration, topology: Topology, tenant: String, logger: Logger
    ) async throws -> Duration {
        let publisher = Publisher(configuration: configuration.process.broker, logger: logger)
        publisher.start()
        let firedAt = Date()
        let messages = try (0..<count).map { n in
            try OutgoingMessage.event(
                EventEnvelope(
                    id: "baseline-\(n)", tenantID: tenant, occurredAt: firedAt,
                    payload: ProactiveReminder(
                        reminderID: "baseline-\(n)", userID: "user-\(n % 1000)", memoryID: nil, text: "Benchmark reminder \(n)",
                        dueAt: firedAt, eventAt: firedAt, firedAt: firedAt, late: false)),
                topology: topology)
        }
        let start = ContinuousClock.now
        for first in stride(from: 0, to: messages.count, by: batch) {
            try await publisher.publish(Array(messages[first..<min(first + batch, messages.count)]))
        }
        let elapsed = ContinuousClock.now - start
        await publisher.close()
        return elapsed
    }

    private static func cleanUp(_ admin: BrokerAdmin, _ topology: Topology, extra: [String]) async throws {
        var queues = extra
        for queue in topology.queues {
            queues += [topology.workQueue(queue), topology.deadLetterQueue(queue), topology.rpcQueue(queue)]
            queues += (1...topology.retryLevels).map { topology.retryQueue(queue, level: $0) }
        }
        try await admin.deleteQueues(queues)
        try await admin.deleteExchanges([topology.jobsExchange, topology.eventsExchange, topology.deadLetterExchange])
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// Counts reminder events by id: how many arrived, how many distinct.
private final class EventCounter: Sendable {
    private let consumer: Consumer
    private let state = Mutex<(ids: Set<String>, received: Int, reachedAt: ContinuousClock.Instant?)>(([], 0, nil))
    private let target = Atomic<Int>(Int.max)

    init(consumer: Consumer) {
        self.consumer = consumer
    }

    var totals: (received: Int, distinct: Int) { state.withLock { ($0.received, $0.ids.count) } }

    func run() async {
        consumer.start()
        let decoder = WireJSON.decoder()
        for await delivery in consumer.deliveries {
            let id = (try? decoder.decode(EventHeader.self, from: delivery.body))?.id ?? ""
            let target = self.target.load(ordering: .relaxed)
            state.withLock { state in
                state.received += 1
                state.ids.insert(id)
                if state.reachedAt == nil, state.ids.count >= target { state.reachedAt = .now }
            }
            consumer.ack(delivery)
        }
    }

    /// When `count` distinct events had arrived, or nil at the timeout.
    func wait(for count: Int, timeout: Duration) async -> ContinuousClock.Instant? {
        target.store(count, ordering: .relaxed)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reached = state.withLock { state in
                if state.reachedAt == nil, state.ids.count >= count { state.reachedAt = .now }
                return state.reachedAt
            }
            if let reached { return reached }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func stop() {
        consumer.cancel()
        Task { await consumer.close() }
    }
}
