public import Foundation
public import Logging
public import PostgresNIO

/// Users whose memory is too large to scan exactly on every search. Below the
/// threshold, a search of a user's items and messages computes the distance to every one
/// of their vectors (`RecallRepository`): exact, and fast for the hundreds to few
/// thousands of rows most users hold, and no write pays for a graph. A user at or above
/// it is promoted: their vectors carry `large_user_id`, which puts them into the space's
/// user index (`EmbeddingSpaceRepository.buildIndex`), and their searches take the
/// approximate path through it. The threshold and the measurements behind it are in
/// docs/benchmarks.md ("Large users").
///
/// New vectors of a large user are marked as they are written (the
/// `embeddings_large_user` trigger). A vector written while its owner was being promoted
/// can miss both the trigger and the promotion's update: `sweep` marks those, and the
/// maintenance task that promotes also sweeps the users it promoted one slot earlier.
public struct LargeUserRepository: Sendable {
    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Users not large yet who hold at least `threshold` items and messages together,
    /// among those with rows created in `from..<to` (every user for a nil `from`), of
    /// `tenantID` only if given.
    public func crossing(
        threshold: Int, from: Date?, to: Date, tenantID: String? = nil, logger: Logger
    ) async throws -> [(tenantID: String, userID: String)] {
        let rows = try await client.query("""
            WITH recent AS (
                SELECT tenant_id, user_id FROM memory_items
                WHERE \(from)::timestamptz IS NULL OR (created_at >= \(from) AND created_at < \(to))
                UNION
                SELECT tenant_id, user_id FROM memory_messages
                WHERE \(from)::timestamptz IS NULL OR (created_at >= \(from) AND created_at < \(to))
            )
            SELECT r.tenant_id, r.user_id FROM recent r
            WHERE (\(tenantID)::text IS NULL OR r.tenant_id = \(tenantID))
              AND NOT EXISTS (SELECT 1 FROM large_users l WHERE l.tenant_id = r.tenant_id AND l.user_id = r.user_id)
              AND (SELECT count(*) FROM memory_items m WHERE m.tenant_id = r.tenant_id AND m.user_id = r.user_id)
                + (SELECT count(*) FROM memory_messages g WHERE g.tenant_id = r.tenant_id AND g.user_id = r.user_id) >= \(threshold)
            ORDER BY 1, 2
            """, logger: logger)
        var users: [(tenantID: String, userID: String)] = []
        for try await (tenant, user) in rows.decode((String, String).self) { users.append((tenant, user)) }
        return users
    }

    /// Promotes each of `users` in turn.
    public func promote(_ users: [(tenantID: String, userID: String)], logger: Logger) async throws {
        for (tenant, user) in users { try await promote(tenantID: tenant, userID: user, logger: logger) }
    }

    /// Makes the user large: the row in `large_users` and the marks on every vector of
    /// their items and messages commit together, so a search that sees the user as large
    /// sees all of it in the index. Marking puts each vector into the graph: seconds per
    /// ten thousand. Then sweeps once, for writes that raced the promotion.
    public func promote(tenantID: String, userID: String, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                INSERT INTO large_users (tenant_id, user_id) VALUES (\(tenantID), \(userID)) ON CONFLICT DO NOTHING
                """, logger: logger)
            _ = try await Self.mark(tenantID: tenantID, userID: userID, on: connection, logger: logger)
        }
        _ = try await sweep(tenantID: tenantID, userID: userID, logger: logger)
    }

    /// Marks the large user's vectors written without the mark, refreshes their row
    /// counts and lengths; returns how many vectors it marked.
    public func sweep(tenantID: String, userID: String, logger: Logger) async throws -> Int {
        try await client.withConnection { try await Self.mark(tenantID: tenantID, userID: userID, on: $0, logger: logger) }
    }

    /// Large users promoted at or after `since`, oldest first.
    public func promoted(since: Date, logger: Logger) async throws -> [(tenantID: String, userID: String)] {
        let rows = try await client.query(
            "SELECT tenant_id, user_id FROM large_users WHERE promoted_at >= \(since) ORDER BY promoted_at, tenant_id, user_id",
            logger: logger)
        var users: [(tenantID: String, userID: String)] = []
        for try await (tenant, user) in rows.decode((String, String).self) { users.append((tenant, user)) }
        return users
    }

    public static func isLarge(tenantID: String, userID: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await _ in try await connection.query(
            "SELECT 1 FROM large_users WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger
        ).decode(Int.self) {
            return true
        }
        return false
    }

    /// Sets `large_user_id` on the user's unmarked vectors in every space (one primary-key
    /// probe per row and space) and stores the user's row counts and mean lengths.
    private static func mark(tenantID: String, userID: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("""
            WITH owned AS MATERIALIZED (
                SELECT 'memory_item' AS kind, id, length(lexemes) AS length FROM memory_items
                WHERE tenant_id = \(tenantID) AND user_id = \(userID)
                UNION ALL
                SELECT 'message', id, length(lexemes) FROM memory_messages WHERE tenant_id = \(tenantID) AND user_id = \(userID)
            ),
            marked AS (
                UPDATE embeddings e SET large_user_id = \(userID)
                FROM (SELECT s.id AS space_id, o.kind, o.id FROM embedding_spaces s CROSS JOIN owned o) AS t
                WHERE e.space_id = t.space_id AND e.tenant_id = \(tenantID) AND e.target_kind = t.kind AND e.target_id = t.id
                  AND e.large_user_id IS NULL
                RETURNING 1
            ),
            counted AS (
                UPDATE large_users SET (items, messages, item_length, message_length) = (
                    SELECT count(*) FILTER (WHERE kind = 'memory_item'), count(*) FILTER (WHERE kind = 'message'),
                           avg(length) FILTER (WHERE kind = 'memory_item'), avg(length) FILTER (WHERE kind = 'message')
                    FROM owned)
                WHERE tenant_id = \(tenantID) AND user_id = \(userID)
            )
            SELECT count(*)::int FROM marked
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
