public import Foundation
public import Logging
public import PostgresNIO

/// A user's memory categories and their summaries (memU's category layer). A category
/// exists once an item is filed under it; its summary is written by `summarize.v1` jobs.
public struct CategoryRepository: Sendable {
    public struct Category: Sendable, Equatable {
        public var name: String
        /// Nil until the first summary job ran for it.
        public var summary: String?
        /// The items the summary was written from.
        public var summaryItemIDs: [String]
        /// Items filed under it now.
        public var itemCount: Int
        public var updatedAt: Date?
    }

    /// An item a summary is written from.
    public struct SourceItem: Sendable, Equatable {
        public var id: String
        public var text: String
        public var validFrom: Date
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The user's current items filed under `category` (any agent), most reinforced
    /// first, then the most recent.
    public func items(
        tenantID: String, userID: String, category: String, limit: Int, logger: Logger
    ) async throws -> [SourceItem] {
        var found: [SourceItem] = []
        let rows = try await client.query("""
            SELECT id, text, valid_from FROM memory_items
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND categories @> ARRAY[\(category)]::text[]
              AND valid_until IS NULL
            ORDER BY reinforcement_count DESC, updated_at DESC, id
            LIMIT \(limit)
            """, logger: logger)
        for try await (id, text, validFrom) in rows.decode((String, String, Date).self) {
            found.append(SourceItem(id: id, text: text, validFrom: validFrom))
        }
        return found
    }

    /// Stores the category's summary and the items it was written from; nil clears it
    /// (the category has no items left). Items removed while the summary was written
    /// (deleted, merged, the user erased) are dropped from it, and a summary none of whose
    /// items remain is not stored: a later refresh rewrites it. Clearing never creates a row.
    public func setSummary(
        tenantID: String, userID: String, category: String, summary: String?, itemIDs: [String], logger: Logger
    ) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.lockUser(tenantID: tenantID, userID: userID, logger: logger)
            guard let summary, !itemIDs.isEmpty else {
                try await connection.query("""
                    UPDATE memory_categories SET summary = NULL, summary_item_ids = '{}', updated_at = now()
                    WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND name = \(category)
                    """, logger: logger)
                return
            }
            try await connection.query("""
                INSERT INTO memory_categories (tenant_id, user_id, name, summary, summary_item_ids)
                SELECT \(tenantID), \(userID), \(category), \(summary), kept.ids
                FROM (
                    SELECT array_agg(u.id ORDER BY u.n) AS ids
                    FROM unnest(\(itemIDs)::text[]) WITH ORDINALITY AS u(id, n)
                    WHERE EXISTS (SELECT 1 FROM memory_items m WHERE m.tenant_id = \(tenantID) AND m.user_id = \(userID) AND m.id = u.id)
                ) kept
                WHERE kept.ids IS NOT NULL
                ON CONFLICT (tenant_id, user_id, name)
                DO UPDATE SET summary = EXCLUDED.summary, summary_item_ids = EXCLUDED.summary_item_ids, updated_at = now()
                """, logger: logger)
        }
    }

    /// Every category the user has items in or a summary for, by name.
    public func list(tenantID: String, userID: String, logger: Logger) async throws -> [Category] {
        let rows = try await client.query("""
            WITH filed AS (
                SELECT name, count(*)::int AS items
                FROM memory_items, unnest(categories) AS name
                WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND valid_until IS NULL
                GROUP BY name
            )
            SELECT coalesce(c.name, f.name), c.summary, coalesce(c.summary_item_ids, '{}'), coalesce(f.items, 0), c.updated_at
            FROM filed f
            FULL JOIN (SELECT * FROM memory_categories WHERE tenant_id = \(tenantID) AND user_id = \(userID)) c ON c.name = f.name
            ORDER BY 1
            """, logger: logger)
        var found: [Category] = []
        for try await (name, summary, ids, count, updated) in rows.decode((String, String?, [String], Int, Date?).self) {
            found.append(Category(name: name, summary: summary, summaryItemIDs: ids, itemCount: count, updatedAt: updated))
        }
        return found
    }
}
