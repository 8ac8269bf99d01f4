import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import Testing
import SystemHarness
import TestSupport
import WorkerRuntime
import ProactiveWorker

/// A clock tests move by hand; every replica of a fixture reads the same one.
final class ManualClock: WallClock {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// Proactive worker replicas, in-process, on one scratch database and a fresh topology,
/// with a subscriber queue for `proactive.reminder` events.
final class ProactiveFixture: Sendable {
    let database = ScratchDatabase()
    let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
    let logger = Logger(label: "test.proactive-worker")
    let clock = ManualClock(Date(timeIntervalSince1970: 1_773_480_000))  // 2026-03-14T09:20:00Z
    let remindersQueue: String
    let system: SystemHarness

    init(environment overrides: [String: String] = [:]) async throws {
        try await database.createMigrated()
        try await database.execute("INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant One')")
        system = try SystemHarness(
            databaseURL: database.url, prefix: prefix,
            overrides: ["MEMGRID_RETRY_BASE_DELAY_MS": "20", "MEMGRID_PROACTIVE_POLL_MS": "50"].merging(overrides) { $1 }, logger: logger)
        remindersQueue = "\(prefix).reminders-subscriber"
        try await TestBroker.admin.declare(system.declaration)
        try await TestBroker.admin.declareQueue(remindersQueue)
        try await TestBroker.admin.bind(remindersQueue, to: topology.eventsExchange, routingKey: EventCatalog.proactiveReminder.name)
    }

    var topology: Topology { system.topology }

    /// A running replica named `name`.
    func start(_ name: String) throws -> WorkerProcess.Parts {
        try system.proactiveWorker(clock: clock, instance: name)
    }

    /// A replica as its own `memgrid-proactive-worker` process, on the system clock.
    func launch() throws -> Process {
        let process = Process()
        process.executableURL = TestBroker.repositoryRoot.appendingPathComponent(".build/debug/memgrid-proactive-worker")
        process.environment = system.environment
        try process.run()
        return process
    }

    func waitUntilReady() async throws {
        try await system.waitUntilReady()
    }

    func stop(_ replicas: [WorkerProcess.Parts]) async {
        await system.stop(replicas.map(\.group))
    }

    func tearDown() async {
        await TestBroker.tearDown(system.declaration, extraQueues: [remindersQueue])
        await database.drop()
    }

    func withClient<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await database.withClient(url: database.url, body)
    }

    func schedule(_ count: Int, dueAt: Date, user: String = "u1") async throws {
        let reminders = (0..<count).map { n in
            ReminderRepository.NewReminder(
                id: "r-\(user)-\(n)", tenantID: "t1", userID: user, memoryID: nil, text: "Reminder \(n)",
                dueAt: dueAt, eventAt: dueAt)
        }
        let logger = self.logger
        _ = try await withClient { client in try await ReminderRepository(client: client).schedule(reminders, logger: logger) }
    }

    /// Drains reminder events until `count` distinct ones arrived; returns them all.
    func reminderEvents(atLeast count: Int) async throws -> [EventEnvelope<ProactiveReminder>] {
        var events: [EventEnvelope<ProactiveReminder>] = []
        _ = try await TestBroker.eventually(timeout: .seconds(90)) {
            for delivery in try await TestBroker.admin.drain(remindersQueue, limit: 2000) {
                events.append(try WireJSON.decoder().decode(EventEnvelope<ProactiveReminder>.self, from: delivery.body))
            }
            return Set(events.map(\.id)).count >= count
        }
        return events
    }

    func count(_ sql: String) async throws -> Int {
        let logger = self.logger
        return try await withClient { client in
            for try await count in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) {
                return count
            }
            return -1
        }
    }
}

@Suite("Proactive worker: reminders and summaries against the real servers", .serialized)
struct ProactiveWorkerTests {
    @Test("three replicas and 1000 due reminders: each fires exactly once")
    func threeReplicasFireEachReminderOnce() async throws {
        let fixture = try await ProactiveFixture(environment: ["MEMGRID_REMINDER_BATCH": "40"])
        try await fixture.schedule(1000, dueAt: fixture.clock.now().addingTimeInterval(-1))
        let replicas = try (1...3).map { try fixture.start("replica-\($0)") }
        let events = try await fixture.reminderEvents(atLeast: 1000)
        // Anything still in flight would arrive now.
        _ = try await TestBroker.eventually(timeout: .seconds(30)) {
            try await fixture.count("SELECT count(*)::int FROM reminders WHERE state <> 'fired'") == 0
        }
        let late = try await TestBroker.admin.drain(fixture.remindersQueue, limit: 2000)
        let claimedTwice = try await fixture.count("SELECT count(*)::int FROM reminders WHERE attempts <> 1")
        await fixture.stop(replicas)
        await fixture.tearDown()

        #expect(events.count + late.count == 1000, "duplicates: \(events.count + late.count - 1000)")
        #expect(Set(events.map(\.payload.reminderID)).count == 1000)
        #expect(claimedTwice == 0, "every reminder is claimed by exactly one replica")
        #expect(events.allSatisfy { !$0.payload.late })
    }

    @Test("a replica that dies after claiming: the lease expires and another fires the reminder once")
    func killedReplicaLosesItsLease() async throws {
        let fixture = try await ProactiveFixture(environment: ["MEMGRID_REMINDER_LEASE_MS": "60000"])
        try await fixture.schedule(3, dueAt: fixture.clock.now().addingTimeInterval(-1))
        // The dead replica: it claimed the reminders and never published nor marked them.
        let now = fixture.clock.now()
        let logger = fixture.logger
        let claimed = try await fixture.withClient { client in
            try await ReminderRepository(client: client).claimDue(
                now: now, limit: 10, owner: "dead-replica", lease: .seconds(60), lateAfter: .seconds(300), logger: logger)
        }
        #expect(claimed.count == 3)

        let survivor = try fixture.start("survivor")
        try await Task.sleep(for: .milliseconds(500))
        let beforeExpiry = try await TestBroker.admin.drain(fixture.remindersQueue, limit: 10)
        fixture.clock.advance(by: 61)
        let events = try await fixture.reminderEvents(atLeast: 3)
        _ = try await TestBroker.eventually(timeout: .seconds(30)) {
            try await fixture.count("SELECT count(*)::int FROM reminders WHERE state = 'fired'") == 3
        }
        let ids = claimed.map(\.id)
        let zombieClosed = try await fixture.withClient { client in
            try await ReminderRepository(client: client).markFired(ids: ids, owner: "dead-replica", at: now, logger: logger)
        }
        let attempts = try await fixture.count("SELECT min(attempts)::int FROM reminders")
        await fixture.stop([survivor])
        await fixture.tearDown()

        #expect(beforeExpiry.isEmpty, "a held lease is respected")
        #expect(events.count == 3)
        #expect(Set(events.map(\.payload.reminderID)) == Set(ids))
        #expect(zombieClosed.isEmpty, "the dead replica can no longer close what it lost")
        #expect(attempts == 2)
    }

    @Test("a replica process killed with SIGKILL while firing: its claims expire and every reminder still fires, once per id")
    func killNineWhileFiring() async throws {
        let fixture = try await ProactiveFixture(
            environment: ["MEMGRID_REMINDER_LEASE_MS": "2000", "MEMGRID_REMINDER_BATCH": "500"])
        let total = 5000
        try await fixture.schedule(total, dueAt: Date().addingTimeInterval(-1))
        let victim = try fixture.launch()
        // Kill it while it holds claimed, unmarked rows and others are already fired. It is
        // frozen first (SIGSTOP) and its rows counted once its last statement has landed,
        // so the kill cannot race a mark; if it held none at that instant, it goes on.
        var orphaned = 0
        let caught = try await TestBroker.eventually(timeout: .seconds(60), interval: .milliseconds(1)) {
            guard try await fixture.count("""
                SELECT (count(*) FILTER (WHERE state = 'firing') > 0 AND count(*) FILTER (WHERE state = 'fired') > 0)::int
                FROM reminders
                """) == 1
            else { return false }
            kill(victim.processIdentifier, SIGSTOP)
            try await Task.sleep(for: .milliseconds(200))
            orphaned = try await fixture.count("SELECT count(*)::int FROM reminders WHERE state = 'firing'")
            if orphaned > 0 { return true }
            kill(victim.processIdentifier, SIGCONT)
            return false
        }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let firedBefore = try await fixture.count("SELECT count(*)::int FROM reminders WHERE state = 'fired'")

        // The survivor's clock is past the dead process's leases.
        fixture.clock.set(Date().addingTimeInterval(5))
        let survivor = try fixture.start("survivor")
        let events = try await fixture.reminderEvents(atLeast: total)
        _ = try await TestBroker.eventually(timeout: .seconds(30)) {
            try await fixture.count("SELECT count(*)::int FROM reminders WHERE state <> 'fired'") == 0
        }
        let retaken = try await fixture.count("SELECT count(*)::int FROM reminders WHERE attempts = 2")
        let late = try await TestBroker.admin.drain(fixture.remindersQueue, limit: 2 * total)
        await fixture.stop([survivor])
        await fixture.tearDown()

        #expect(caught, "the victim never had reminders in flight")
        #expect(victim.terminationReason == .uncaughtSignal)
        #expect(orphaned > 0 && firedBefore < total, "killed while firing: \(orphaned) claimed, \(firedBefore) fired")
        #expect(Set(events.map(\.payload.reminderID)).count == total)
        #expect(retaken == orphaned, "exactly the dead process's claims were taken over")
        // Only a claim published before the kill but not yet marked is published again,
        // under the same event id.
        let republished = events.count + late.count - total
        #expect(republished <= orphaned)
    }

    @Test("reminders missed during an outage fire on recovery, marked late")
    func missedRemindersFireLate() async throws {
        let fixture = try await ProactiveFixture()
        try await fixture.schedule(2, dueAt: fixture.clock.now().addingTimeInterval(-3600), user: "outage")
        try await fixture.schedule(1, dueAt: fixture.clock.now().addingTimeInterval(-5), user: "ontime")
        let replica = try fixture.start("replica")
        let events = try await fixture.reminderEvents(atLeast: 3)
        await fixture.stop([replica])
        await fixture.tearDown()

        let lateByUser = Dictionary(grouping: events, by: \.payload.userID).mapValues { $0.map(\.payload.late) }
        #expect(lateByUser == ["outage": [true, true], "ontime": [false]])
        #expect(events.count == 3)
    }

    @Test("an event memory with a time ahead schedules one reminder, however often its event arrives; past ones none")
    func eventMemoriesScheduleReminders() async throws {
        let fixture = try await ProactiveFixture(environment: ["MEMGRID_REMINDER_LEAD_MS": "600000"])
        let now = fixture.clock.now()
        let logger = fixture.logger
        let items = try await fixture.withClient { client in
            try await client.withTransaction(logger: logger) { connection in
                try await MemoryRepository(client: client).record(
                    [
                        .init(type: "event", text: "Has a dentist appointment", contentHash: "h1", categories: ["health"],
                              happenedAt: now.addingTimeInterval(7200), validFrom: now),
                        .init(type: "event", text: "Went hiking", contentHash: "h2", categories: ["hobbies"],
                              happenedAt: now.addingTimeInterval(-86400), validFrom: now),
                        .init(type: "profile", text: "Likes tea", contentHash: "h3", categories: ["food"], happenedAt: nil, validFrom: now),
                    ],
                    tenantID: "t1", userID: "u1", agentID: nil, resourceID: nil, source: "job-1", origin: .job("job-1"), on: connection,
                    logger: logger
                ).items
            }
        }
        let replica = try fixture.start("replica")
        try await fixture.waitUntilReady()
        for item in items + items {
            let event = EventEnvelope(
                id: "\(item.id):memory.created", tenantID: "t1",
                payload: MemoryCreated(memoryID: item.id, userID: "u1", memoryType: item.type, categories: item.categories))
            try await replica.publisher.publish(.event(event, topology: fixture.topology))
        }
        let settled = try await TestBroker.eventually(timeout: .seconds(30)) {
            let refreshes = try await fixture.count("SELECT count(*)::int FROM summary_refreshes WHERE cardinality(categories) = 3")
            let reminders = try await fixture.count("SELECT count(*)::int FROM reminders")
            return refreshes == 1 && reminders == 1
        }
        try await Task.sleep(for: .milliseconds(300))  // the repeated events, if they were to add anything
        let reminders = try await fixture.withClient { client in
            try await ReminderRepository(client: client).list(tenantID: "t1", userID: "u1", logger: logger)
        }
        await fixture.stop([replica])
        await fixture.tearDown()

        #expect(settled)
        let dentist = try #require(items.first { $0.text == "Has a dentist appointment" })
        #expect(reminders.map(\.memoryID) == [dentist.id])
        #expect(reminders.first?.dueAt == now.addingTimeInterval(7200 - 600))
        #expect(reminders.first?.state == .scheduled)
    }

    @Test("a burst of new memories becomes one summary job per user, after the debounce window")
    func debounceCoalescesABurst() async throws {
        let fixture = try await ProactiveFixture(environment: [
            "MEMGRID_SUMMARY_DEBOUNCE_MS": "30000", "MEMGRID_SUMMARY_MAX_DELAY_MS": "300000",
        ])
        let replica = try fixture.start("replica")
        try await fixture.waitUntilReady()
        let categories = ["health", "food", "travel", "work"]
        for n in 0..<20 {
            let event = EventEnvelope(
                id: "m\(n):memory.created", tenantID: "t1",
                payload: MemoryCreated(memoryID: "m\(n)", userID: "burst", memoryType: "profile", categories: [categories[n % 4]]))
            try await replica.publisher.publish(.event(event, topology: fixture.topology))
        }
        let noted = try await TestBroker.eventually(timeout: .seconds(30)) {
            try await fixture.count("SELECT cardinality(categories) FROM summary_refreshes WHERE user_id = 'burst'") == 4
        }
        try await Task.sleep(for: .milliseconds(300))
        let llmQueue = fixture.topology.workQueue(.llm)
        let early = try await TestBroker.admin.drain(llmQueue, limit: 100)
        fixture.clock.advance(by: 31)
        var jobs: [JobEnvelope<SummarizeJob>] = []
        _ = try await TestBroker.eventually(timeout: .seconds(30)) {
            jobs += try await TestBroker.admin.drain(llmQueue, limit: 100).map {
                try WireJSON.decoder().decode(JobEnvelope<SummarizeJob>.self, from: $0.body)
            }
            return !jobs.isEmpty
        }
        try await Task.sleep(for: .milliseconds(300))
        jobs += try await TestBroker.admin.drain(llmQueue, limit: 100).map {
            try WireJSON.decoder().decode(JobEnvelope<SummarizeJob>.self, from: $0.body)
        }
        let pending = try await fixture.count("SELECT count(*)::int FROM summary_refreshes")
        await fixture.stop([replica])
        await fixture.tearDown()

        #expect(noted)
        #expect(early.isEmpty, "nothing before the window closes")
        #expect(jobs.count == 1)
        #expect(jobs.first?.payload.userID == "burst")
        #expect(jobs.first?.payload.categories == categories.sorted())
        #expect(pending == 0)
    }
}
