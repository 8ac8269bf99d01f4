public import Foundation
public import Logging
public import PostgresNIO

/// Debounced category-summary refreshes: one pending row per user, holding the
/// categories touched since the last refresh. Each new memory pushes the refresh back by
/// the debounce window, but never past `maxDelay` after the first one, so a user who
/// keeps talking still gets fresh summaries.
public struct SummaryRefreshRepository: Sendable {
    public struct Due: Sendable, Equatable {
        public var tenantID: String
        public var userID: String
        public var categories: [String]
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Notes new memories in `categories` for the user at `now`.
    public func touch(
        tenantID: String, userID: String, categories: [String], now: Date, window: Duration, maxDelay: Duration,
        logger: Logger
    ) async throws {
        guard !categories.isEmpty else { return }
        try await client.query("""
            INSERT INTO summary_refreshes (tenant_id, user_id, categories, first_event_at, due_at)
            VALUES (\(tenantID), \(userID), \(categories.sorted()), \(now), \(now.addingTimeInterval(window.timeInterval)))
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET
                categories = ARRAY(SELECT DISTINCT c FROM unnest(summary_refreshes.categories || EXCLUDED.categories) c ORDER BY c),
                due_at = least(EXCLUDED.due_at, summary_refreshes.first_event_at + \(maxDelay.timeInterval) * interval '1 second')
            """, logger: logger)
    }

    /// Takes up to `limit` refreshes due at `now` inside a transaction and hands them to
    /// `publish`; they are removed only if it returns. Rows are locked with SKIP LOCKED,
    /// so replicas take different users.
    @discardableResult
    public func takeDue(
        now: Date, limit: Int, logger: Logger, publish: ([Due]) async throws -> Void
    ) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                DELETE FROM summary_refreshes s
                USING (
                    SELECT tenant_id, user_id FROM summary_refreshes WHERE due_at <= \(now)
                    ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ) due
                WHERE s.tenant_id = due.tenant_id AND s.user_id = due.user_id
                RETURNING s.tenant_id, s.user_id, s.categories
                """, logger: logger)
            var due: [Due] = []
            for try await (tenant, user, categories) in rows.decode((String, String, [String]).self) {
                due.append(Due(tenantID: tenant, userID: user, categories: categories))
            }
            if !due.isEmpty { try await publish(due) }
            return due.count
        }
    }
}
