import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import ServiceLifecycle
import Storage

/// Fires due reminders, exactly once across replicas: claim a batch (`FOR UPDATE SKIP
/// LOCKED`, under a lease), publish each as a `proactive.reminder` event plus a
/// `webhook.v1` job for tenants with a webhook (broker-confirmed), then mark them fired.
///
/// A replica killed between claim and mark leaves its rows `firing`; when the lease
/// expires another replica claims and fires them. Killed after the publish but before the
/// mark, the reminder is published again with the same event id (consumers deduplicate).
final class ReminderFirer: Service, Sendable {
    private let reminders: ReminderRepository
    private let publisher: Publisher
    private let topology: Topology
    private let configuration: ProactiveWorkerApp.Configuration
    private let clock: any WallClock
    private let owner: String
    private let logger: Logger
    private let fired: Counter
    private let firedLate: Counter
    private let failures: Counter
    private let lag: Timer

    init(
        reminders: ReminderRepository, publisher: Publisher, topology: Topology,
        configuration: ProactiveWorkerApp.Configuration, clock: any WallClock, owner: String, factory: any MetricsFactory,
        logger: Logger
    ) {
        fired = Counter(label: "memgrid_reminders_fired_total", factory: factory)
        firedLate = Counter(label: "memgrid_reminders_fired_late_total", factory: factory)
        failures = Counter(label: "memgrid_reminder_publish_failures_total", factory: factory)
        lag = Timer(label: "memgrid_reminder_fire_lag_seconds", factory: factory)
        self.reminders = reminders
        self.publisher = publisher
        self.topology = topology
        self.configuration = configuration
        self.clock = clock
        self.owner = owner
        self.logger = logger
    }

    func run() async throws {
        await PollingLoop.run(interval: configuration.pollInterval) {
            do {
                return try await self.fireDue() == self.configuration.reminderBatch
            } catch {
                self.logger.warning("reminder pass failed; retrying", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
                return false
            }
        }
    }

    /// One batch: claim, publish, mark. Returns how many reminders it claimed.
    @discardableResult
    func fireDue() async throws -> Int {
        let claimed = try await reminders.claimDue(
            now: clock.now(), limit: configuration.reminderBatch, owner: owner, lease: configuration.reminderLease,
            lateAfter: configuration.reminderLateAfter, logger: logger)
        guard !claimed.isEmpty else { return 0 }
        let ids = claimed.map(\.id)
        let firedAt = clock.now()
        do {
            try await publisher.publish(try claimed.flatMap { try messages(for: $0, firedAt: firedAt) })
        } catch {
            failures.increment()
            logger.warning("could not publish reminders; they will be claimed again", metadata: [
                "reminders": "\(claimed.count)", "error": "\(String(reflecting: error).prefix(300))",
            ])
            try await reminders.release(
                ids: ids, owner: owner, error: String(describing: error).prefix(300).description,
                maxAttempts: configuration.reminderMaxAttempts, at: clock.now(), logger: logger)
            return claimed.count
        }
        let closed = try await reminders.markFired(ids: ids, owner: owner, at: firedAt, logger: logger)
        for reminder in claimed where closed.contains(reminder.id) {
            fired.increment()
            if reminder.late { firedLate.increment() }
            lag.recordSeconds(max(0, firedAt.timeIntervalSince(reminder.dueAt)))
        }
        if closed.count < claimed.count {
            // Our lease ran out mid-pass and another replica took some over.
            logger.warning("lease expired while firing", metadata: ["reminders.lost": "\(claimed.count - closed.count)"])
        }
        return claimed.count
    }

    private func messages(for reminder: ReminderRepository.Reminder, firedAt: Date) throws -> [OutgoingMessage] {
        let event = EventEnvelope(
            id: Self.eventID(reminderID: reminder.id), tenantID: reminder.tenantID, occurredAt: firedAt,
            payload: ProactiveReminder(
                reminderID: reminder.id, userID: reminder.userID, agentID: reminder.agentID, memoryID: reminder.memoryID,
                text: reminder.text, dueAt: reminder.dueAt, eventAt: reminder.eventAt, firedAt: firedAt, late: reminder.late,
                timeZone: reminder.timeZone))
        var messages = [try OutgoingMessage.event(event, topology: topology)]
        if reminder.hasWebhook {
            let body = try WireJSON.decoder().decode(JSONValue.self, from: try WireJSON.encoder().encode(event))
            let job = JobEnvelope(
                id: "\(event.id):webhook", tenantID: reminder.tenantID, createdAt: firedAt, payload: WebhookJob(event: body))
            messages.append(try OutgoingMessage.job(job, topology: topology))
        }
        return messages
    }

    static func eventID(reminderID: String) -> String { "\(reminderID):\(EventCatalog.proactiveReminder.name)" }
}
