public import Foundation
public import Logging
public import PostgresNIO

/// Status rows for jobs submitted through the gateway (and their child jobs), so clients
/// can poll `GET /v1/jobs/{id}`. Jobs published straight to the broker by integrations
/// have no row; every update here is then a no-op.
public struct JobRepository: Sendable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case queued, running, succeeded, failed
        case deadLettered = "dead_lettered"
    }

    public struct Record: Sendable, Equatable {
        public var id: String
        public var tenantID: String
        public var type: String
        public var status: Status
        public var attempts: Int
        public var error: String?
        /// The handler's result summary, as JSON text.
        public var resultJSON: String?
        public var parentID: String?
        public var userID: String?
        public var createdAt: Date
        public var updatedAt: Date
        public var startedAt: Date?
        public var finishedAt: Date?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Records a job as queued before it is published. Idempotent on the id: returns
    /// false when the job already exists.
    @discardableResult
    public func insert(
        id: String, tenantID: String, type: String, userID: String? = nil, parentID: String? = nil, logger: Logger
    ) async throws -> Bool {
        let rows = try await client.query("""
            INSERT INTO jobs (id, tenant_id, type, status, user_id, parent_id)
            VALUES (\(id), \(tenantID), \(type), 'queued', \(userID), \(parentID))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    /// Inserts queued child jobs inside the caller's transaction, when the parent has a
    /// status row: a job published straight to the queue by another system has none, and
    /// neither do its children.
    public static func insertChildren(
        ids: [String], tenantID: String, type: String, userID: String?, parentID: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !ids.isEmpty else { return }
        try await connection.query("""
            INSERT INTO jobs (id, tenant_id, type, status, user_id, parent_id)
            SELECT i, \(tenantID), \(type), 'queued', \(userID), \(parentID) FROM unnest(\(ids)) AS u(i)
            WHERE EXISTS (SELECT 1 FROM jobs WHERE id = \(parentID))
            ON CONFLICT (id) DO NOTHING
            """, logger: logger)
    }

    /// Forgets a job whose publish the broker never confirmed: the client got an error,
    /// so no row may claim it is queued.
    public func discard(id: String, tenantID: String, logger: Logger) async throws {
        try await client.query(
            "DELETE FROM jobs WHERE id = \(id) AND tenant_id = \(tenantID) AND status = 'queued'", logger: logger)
    }

    public func get(id: String, tenantID: String, logger: Logger) async throws -> Record? {
        try await records(
            "SELECT \(unescaped: Self.columns) FROM jobs WHERE id = \(id) AND tenant_id = \(tenantID)", logger: logger
        ).first
    }

    public func children(of id: String, tenantID: String, logger: Logger) async throws -> [Record] {
        try await records("""
            SELECT \(unescaped: Self.columns) FROM jobs WHERE parent_id = \(id) AND tenant_id = \(tenantID)
            ORDER BY created_at, id
            """, logger: logger)
    }

    /// A dead-lettered job runs again only when it was replayed (`memgrid dlq replay`,
    /// or any other way an operator moved it back), so that counts as running too.
    public func markRunning(id: String, attempt: Int, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'running', attempts = greatest(attempts, \(attempt)),
                started_at = coalesce(started_at, now()), updated_at = now()
            WHERE id = \(id) AND status IN ('queued', 'running', 'failed', 'dead_lettered')
            """, logger: logger)
    }

    /// Dead-lettered jobs that were replayed are queued again. Only rows dead-lettered
    /// before `before` (when the replay began) change: a row a worker has since picked
    /// up, or dead-lettered anew, already tells the newer story.
    /// - Returns: how many rows changed (jobs without a row are skipped).
    @discardableResult
    public func markRequeued(ids: [String], deadLetteredBefore before: Date, logger: Logger) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try await client.query("""
            UPDATE jobs SET status = 'queued', finished_at = NULL, updated_at = now()
            WHERE id = ANY(\(ids)) AND status = 'dead_lettered' AND finished_at <= \(before)
            RETURNING id
            """, logger: logger)
        var count = 0
        for try await _ in rows.decode(String.self) { count += 1 }
        return count
    }

    /// Stores a job's result summary (JSON) inside the handler's transaction, so it
    /// commits with the job's effect; the status follows when the job is acked.
    public static func recordResult(id: String, resultJSON: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(resultUpdate(id: id, resultJSON: resultJSON), logger: logger)
    }

    /// Stores a job's result summary (JSON) outside a transaction.
    public func recordResult(id: String, resultJSON: String, logger: Logger) async throws {
        try await client.query(Self.resultUpdate(id: id, resultJSON: resultJSON), logger: logger)
    }

    /// A succeeded job keeps its first result: a redelivery of it (an ack lost with its
    /// connection) runs again against what the first run wrote, and would report that
    /// (an embed job: every vector "cached") instead of what the job did.
    private static func resultUpdate(id: String, resultJSON: String) -> PostgresQuery {
        "UPDATE jobs SET result = \(resultJSON)::jsonb, updated_at = now() WHERE id = \(id) AND status <> 'succeeded'"
    }

    public func markSucceeded(id: String, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'succeeded', error = NULL, updated_at = now(), finished_at = coalesce(finished_at, now())
            WHERE id = \(id) AND status <> 'succeeded'
            """, logger: logger)
    }

    /// A failed attempt that will be retried.
    public func markRetrying(id: String, attempt: Int, error: String, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'failed', attempts = greatest(attempts, \(attempt)), error = \(error), updated_at = now()
            WHERE id = \(id) AND status <> 'succeeded'
            """, logger: logger)
    }

    public func markDeadLettered(id: String, attempt: Int, error: String, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'dead_lettered', attempts = greatest(attempts, \(attempt)), error = \(error),
                updated_at = now(), finished_at = now()
            WHERE id = \(id) AND status <> 'succeeded'
            """, logger: logger)
    }

    private static let columns = """
        id, tenant_id, type, status, attempts, error, result::text, parent_id, user_id,
        created_at, updated_at, started_at, finished_at
        """

    private func records(_ query: PostgresQuery, logger: Logger) async throws -> [Record] {
        let rows = try await client.query(query, logger: logger)
        var records: [Record] = []
        for try await row in rows {
            let (id, tenant, type, status, attempts, error, result, parent, user, created, updated, started, finished) =
                try row.decode((String, String, String, String, Int, String?, String?, String?, String?, Date, Date, Date?, Date?).self)
            records.append(Record(
                id: id, tenantID: tenant, type: type, status: Status(rawValue: status) ?? .failed, attempts: attempts,
                error: error, resultJSON: result, parentID: parent, userID: user,
                createdAt: created, updatedAt: updated, startedAt: started, finishedAt: finished))
        }
        return records
    }
}
