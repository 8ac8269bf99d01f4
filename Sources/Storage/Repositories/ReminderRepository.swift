public import Foundation
public import Logging
public import PostgresNIO

/// Reminders of the proactive agent and their state machine:
/// scheduled → firing → fired | failed, and scheduled → cancelled.
///
/// Firing is claim-then-confirm: `claimDue` moves due rows to `firing` under a lease
/// (`FOR UPDATE SKIP LOCKED`, so replicas never claim the same row), the claimer
/// publishes, then `markFired` closes only the rows it still holds. A claimer that dies
/// leaves rows whose lease expires; the next claim takes them again.
public struct ReminderRepository: Sendable {
    public enum State: String, Sendable, CaseIterable {
        case scheduled, firing, fired, failed, cancelled
    }

    public struct NewReminder: Sendable, Equatable {
        public var id: String
        public var tenantID: String
        public var userID: String
        public var agentID: String?
        public var memoryID: String?
        public var text: String
        public var dueAt: Date
        public var eventAt: Date?
        public var timeZone: String?

        public init(
            id: String, tenantID: String, userID: String, agentID: String? = nil, memoryID: String?, text: String,
            dueAt: Date, eventAt: Date?, timeZone: String? = nil
        ) {
            self.id = id
            self.tenantID = tenantID
            self.userID = userID
            self.agentID = agentID
            self.memoryID = memoryID
            self.text = text
            self.dueAt = dueAt
            self.eventAt = eventAt
            self.timeZone = timeZone
        }
    }

    public struct Reminder: Sendable, Equatable {
        public var id: String
        public var tenantID: String
        public var userID: String
        public var agentID: String?
        public var memoryID: String?
        public var text: String
        public var dueAt: Date
        public var eventAt: Date?
        public var timeZone: String?
        public var state: State
        public var attempts: Int
        public var late: Bool
        public var firedAt: Date?
        public var lastError: String?
        public var createdAt: Date
        /// Set by `claimDue`: the tenant has a webhook subscribed to reminders.
        public var hasWebhook: Bool
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Inserts reminders that do not exist yet (by id); returns how many were new. Optional
    /// fields travel as "" (PostgresNIO binds no arrays of optionals).
    @discardableResult
    public func schedule(_ reminders: [NewReminder], logger: Logger) async throws -> Int {
        guard !reminders.isEmpty else { return 0 }
        let rows = try await client.query("""
            INSERT INTO reminders (id, tenant_id, user_id, agent_id, memory_id, text, due_at, event_at, time_zone)
            SELECT id, tenant, usr, NULLIF(agent, ''), NULLIF(memory, ''), text, due, NULLIF(event, '')::timestamptz,
                   NULLIF(zone, '')
            FROM unnest(
                \(reminders.map(\.id))::text[], \(reminders.map(\.tenantID))::text[], \(reminders.map(\.userID))::text[],
                \(reminders.map { $0.agentID ?? "" })::text[], \(reminders.map { $0.memoryID ?? "" })::text[],
                \(reminders.map(\.text))::text[], \(reminders.map(\.dueAt))::timestamptz[],
                \(reminders.map { $0.eventAt.map(MemoryRepository.timestampText) ?? "" })::text[],
                \(reminders.map { $0.timeZone ?? "" })::text[]
            ) AS r(id, tenant, usr, agent, memory, text, due, event, zone)
            ON CONFLICT (id) DO NOTHING
            RETURNING 1
            """, logger: logger)
        var inserted = 0
        for try await _ in rows.decode(Int.self) { inserted += 1 }
        return inserted
    }

    /// Claims up to `limit` reminders due at `now`: scheduled ones, and firing ones whose
    /// claimer's lease ran out. Each claim counts as an attempt; a reminder claimed more
    /// than `lateAfter` past its due time is marked late.
    public func claimDue(
        now: Date, limit: Int, owner: String, lease: Duration, lateAfter: Duration, logger: Logger
    ) async throws -> [Reminder] {
        let leaseUntil = now.addingTimeInterval(lease.timeInterval)
        let lateBefore = now.addingTimeInterval(-lateAfter.timeInterval)
        return try await reminders("""
            UPDATE reminders r
            SET state = 'firing', lease_owner = \(owner), lease_until = \(leaseUntil), attempts = r.attempts + 1,
                late = r.due_at < \(lateBefore), updated_at = \(now)
            FROM (
                SELECT id FROM reminders
                WHERE due_at <= \(now)
                  AND (state = 'scheduled' OR (state = 'firing' AND lease_until < \(now)))
                ORDER BY due_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ) due
            WHERE r.id = due.id
            RETURNING \(unescaped: Self.columns("r"))
            """, logger: logger)
    }

    /// Closes the reminders `owner` still holds as fired; returns the ids it closed. A
    /// reminder whose lease expired and was claimed by another replica is not touched.
    @discardableResult
    public func markFired(ids: [String], owner: String, at firedAt: Date, logger: Logger) async throws -> Set<String> {
        try await closing("""
            UPDATE reminders SET state = 'fired', fired_at = \(firedAt), lease_owner = NULL, lease_until = NULL,
                last_error = NULL, updated_at = \(firedAt)
            WHERE id = ANY(\(ids)) AND state = 'firing' AND lease_owner = \(owner)
            RETURNING id
            """, logger: logger)
    }

    /// Gives claimed reminders back after a failed publish: scheduled again, or failed once
    /// they have had `maxAttempts` claims.
    @discardableResult
    public func release(
        ids: [String], owner: String, error: String, maxAttempts: Int, at now: Date, logger: Logger
    ) async throws -> Set<String> {
        try await closing("""
            UPDATE reminders
            SET state = CASE WHEN attempts >= \(maxAttempts) THEN 'failed' ELSE 'scheduled' END,
                lease_owner = NULL, lease_until = NULL, last_error = \(error), updated_at = \(now)
            WHERE id = ANY(\(ids)) AND state = 'firing' AND lease_owner = \(owner)
            RETURNING id
            """, logger: logger)
    }

    /// A user's reminders by due time, optionally in one state.
    public func list(
        tenantID: String, userID: String, state: State? = nil, limit: Int = 100, logger: Logger
    ) async throws -> [Reminder] {
        try await reminders("""
            SELECT \(unescaped: Self.columns("r")) FROM reminders r
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
            ORDER BY due_at, id
            LIMIT \(limit)
            """, logger: logger)
    }

    public func get(id: String, tenantID: String, logger: Logger) async throws -> Reminder? {
        try await reminders(
            "SELECT \(unescaped: Self.columns("r")) FROM reminders r WHERE id = \(id) AND tenant_id = \(tenantID)",
            logger: logger
        ).first
    }

    /// Cancels a scheduled reminder. Nil if the tenant has no such reminder; otherwise the
    /// reminder as it is now (unchanged if it was no longer scheduled).
    public func cancel(id: String, tenantID: String, logger: Logger) async throws -> Reminder? {
        let cancelled = try await reminders("""
            UPDATE reminders r SET state = 'cancelled', updated_at = now()
            WHERE id = \(id) AND tenant_id = \(tenantID) AND state = 'scheduled'
            RETURNING \(unescaped: Self.columns("r"))
            """, logger: logger)
        if let reminder = cancelled.first { return reminder }
        return try await get(id: id, tenantID: tenantID, logger: logger)
    }

    // MARK: - SQL helpers

    private static func columns(_ table: String) -> String {
        """
        \(table).id, \(table).tenant_id, \(table).user_id, \(table).agent_id, \(table).memory_id, \(table).text,
        \(table).due_at, \(table).event_at, \(table).time_zone, \(table).state, \(table).attempts, \(table).late,
        \(table).fired_at, \(table).last_error, \(table).created_at,
        EXISTS (SELECT 1 FROM tenant_webhooks w WHERE w.tenant_id = \(table).tenant_id AND 'proactive.reminder' = ANY(w.events))
        """
    }

    private func reminders(_ query: PostgresQuery, logger: Logger) async throws -> [Reminder] {
        var found: [Reminder] = []
        for try await row in try await client.query(query, logger: logger) {
            let columns = row.makeRandomAccess()
            found.append(Reminder(
                id: try columns[0].decode(String.self), tenantID: try columns[1].decode(String.self),
                userID: try columns[2].decode(String.self), agentID: try columns[3].decode(String?.self),
                memoryID: try columns[4].decode(String?.self), text: try columns[5].decode(String.self),
                dueAt: try columns[6].decode(Date.self), eventAt: try columns[7].decode(Date?.self),
                timeZone: try columns[8].decode(String?.self),
                state: State(rawValue: try columns[9].decode(String.self)) ?? .failed,
                attempts: try columns[10].decode(Int.self), late: try columns[11].decode(Bool.self),
                firedAt: try columns[12].decode(Date?.self), lastError: try columns[13].decode(String?.self),
                createdAt: try columns[14].decode(Date.self), hasWebhook: try columns[15].decode(Bool.self)))
        }
        return found
    }

    private func closing(_ query: PostgresQuery, logger: Logger) async throws -> Set<String> {
        var closed: Set<String> = []
        for try await id in try await client.query(query, logger: logger).decode(String.self) { closed.insert(id) }
        return closed
    }
}

extension Duration {
    /// The duration in (fractional) seconds, for `Date` arithmetic.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
