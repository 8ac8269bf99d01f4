import Contracts
import Crypto
public import Foundation
public import Logging
public import PostgresNIO

/// Memory items of users: idempotent writes from memorize jobs, reads, edits, deletes
/// and purges (searches: `RecallRepository`). Every query names the tenant.
public struct MemoryRepository: Sendable {
    public struct Item: Sendable, Equatable {
        public var id: String
        public var tenantID: String
        public var userID: String
        public var agentID: String?
        public var type: String
        public var text: String
        public var categories: [String]
        public var happenedAt: Date?
        public var reinforcementCount: Int
        public var resourceID: String?
        public var sourceJobID: String?
        public var createdAt: Date
        public var updatedAt: Date
        /// The messages it was extracted from (their message ids), every job's that stated it.
        public var messageIDs: [String]
    }

    /// An item as extracted from a conversation, before it is stored.
    public struct NewItem: Sendable, Equatable {
        public var type: String
        public var text: String
        /// SHA-256 (hex) of the normalized text; identical facts of a user share it.
        public var contentHash: String
        public var categories: [String]
        public var happenedAt: Date?
        /// The message ids of the messages it was extracted from.
        public var messageIDs: [String]

        public init(type: String, text: String, contentHash: String, categories: [String], happenedAt: Date?, messageIDs: [String] = []) {
            self.type = type
            self.text = text
            self.contentHash = contentHash
            self.categories = categories
            self.happenedAt = happenedAt
            self.messageIDs = messageIDs
        }
    }

    /// Narrows list and search results. Empty arrays and nil bounds mean "any".
    public struct Filter: Sendable, Equatable {
        /// Items of this agent plus the user's shared items; nil = all of the user's items.
        public var agentID: String?
        public var types: [String]
        /// Items in any of these categories.
        public var categories: [String]
        /// Bounds on when the item happened (its creation time when it states none).
        public var since: Date?
        public var until: Date?

        public init(agentID: String? = nil, types: [String] = [], categories: [String] = [], since: Date? = nil, until: Date? = nil) {
            self.agentID = agentID
            self.types = types
            self.categories = categories
            self.since = since
            self.until = until
        }
    }

    /// Where a listing page ends: the last item's (created_at, id). The time is kept as
    /// PostgreSQL's exact microseconds: a `Date` (a Double) can land a microsecond off and
    /// skip or repeat rows that share a timestamp (all items of one job do).
    public struct Cursor: Sendable, Equatable {
        public var createdAtMicroseconds: Int64
        public var id: String

        public init(createdAtMicroseconds: Int64, id: String) {
            self.createdAtMicroseconds = createdAtMicroseconds
            self.id = id
        }
    }

    public struct Page: Sendable, Equatable {
        public var items: [Item]
        /// Present when more items follow.
        public var next: Cursor?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Stores the items a job extracted. A fact the user already has (same content
    /// hash) is reinforced once per distinct job, so redelivery changes nothing.
    /// Returns every item the job stated, created or reinforced.
    public func record(
        _ items: [NewItem], tenantID: String, userID: String, agentID: String?, resourceID: String?,
        jobID: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Item] {
        var unique: [String: NewItem] = [:]
        var order: [String] = []
        for item in items {
            if let earlier = unique[item.contentHash] {
                unique[item.contentHash]?.messageIDs = Array(Set(earlier.messageIDs + item.messageIDs)).sorted()
            } else {
                unique[item.contentHash] = item
                order.append(item.contentHash)
            }
        }
        let rows = order.map { unique[$0]! }
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { _ in UUID().uuidString.lowercased() }
        // Timestamps travel as text: unnest() of a nullable timestamptz[] needs no NULL tricks then.
        let happened = rows.map { $0.happenedAt.map(Self.timestampText) ?? "" }
        let categories = rows.map { Self.arrayLiteral($0.categories) }
        let messageIDs = rows.map { Self.arrayLiteral($0.messageIDs) }
        let stored = try await Self.items(on: connection, """
            INSERT INTO memory_items (id, tenant_id, user_id, agent_id, type, text, content_hash, categories,
                                      happened_at, resource_id, source_job_id, message_ids)
            SELECT i, \(tenantID), \(userID), \(agentID), ty, tx, h, c::text[], nullif(ha, '')::timestamptz, \(resourceID), \(jobID), mi::text[]
            FROM unnest(\(ids), \(rows.map(\.type)), \(rows.map(\.text)), \(rows.map(\.contentHash)),
                        \(categories), \(happened), \(messageIDs)) AS u(i, ty, tx, h, c, ha, mi)
            ON CONFLICT (tenant_id, user_id, coalesce(agent_id, ''), content_hash)
            DO UPDATE SET categories = ARRAY(SELECT DISTINCT unnest(memory_items.categories || EXCLUDED.categories) ORDER BY 1),
                          message_ids = ARRAY(SELECT DISTINCT unnest(memory_items.message_ids || EXCLUDED.message_ids) ORDER BY 1)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        let storedIDs = stored.map(\.id)
        try await connection.query("""
            WITH added AS (
                INSERT INTO memory_item_sources (item_id, job_id) SELECT i, \(jobID) FROM unnest(\(storedIDs)) AS u(i)
                ON CONFLICT DO NOTHING RETURNING item_id
            )
            UPDATE memory_items m SET reinforcement_count = m.reinforcement_count + 1, updated_at = now()
            WHERE m.id IN (SELECT item_id FROM added) AND m.source_job_id IS DISTINCT FROM \(jobID)
            """, logger: logger)
        return try await Self.items(on: connection, """
            SELECT \(unescaped: Self.columns) FROM memory_items WHERE id = ANY(\(storedIDs)) ORDER BY created_at, id
            """, logger: logger)
    }

    public func get(id: String, tenantID: String, logger: Logger) async throws -> Item? {
        try await items("SELECT \(unescaped: Self.columns) FROM memory_items WHERE id = \(id) AND tenant_id = \(tenantID)", logger: logger)
            .first
    }

    /// The items with these ids that the tenant has, in no particular order.
    public func get(ids: [String], tenantID: String, logger: Logger) async throws -> [Item] {
        try await items(
            "SELECT \(unescaped: Self.columns) FROM memory_items WHERE id = ANY(\(ids)) AND tenant_id = \(tenantID)", logger: logger)
    }

    /// Newest first, `limit` per page.
    public func list(
        tenantID: String, userID: String, filter: Filter, after cursor: Cursor?, limit: Int, logger: Logger
    ) async throws -> Page {
        var query: PostgresQuery = """
            SELECT \(unescaped: Self.columns), (extract(epoch FROM created_at) * 1000000)::int8 FROM memory_items
            WHERE tenant_id = \(tenantID) AND user_id = \(userID)
            """
        Self.append(filter, to: &query, table: "memory_items")
        if let cursor {
            query.sql += " AND (created_at, id) < (timestamptz 'epoch' + $\(query.binds.count + 1) * interval '1 microsecond', $\(query.binds.count + 2))"
            query.binds.append(cursor.createdAtMicroseconds)
            query.binds.append(cursor.id)
        }
        query.sql += " ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)"
        var found: [(item: Item, micros: Int64)] = []
        for try await row in try await client.query(query, logger: logger) {
            let micros = try row.makeRandomAccess()[14].decode(Int64.self)
            found.append((try Self.item(from: row), micros))
        }
        var next: Cursor?
        if found.count > limit {
            found.removeLast()
            next = found.last.map { Cursor(createdAtMicroseconds: $0.micros, id: $0.item.id) }
        }
        return Page(items: found.map(\.item), next: next)
    }

    /// Edits an item. A new text needs a new content hash; returns nil if the item does
    /// not exist, throws `.conflict` if the user already has an item with that text.
    public func update(
        id: String, tenantID: String, text: String?, contentHash: String?, type: String?, categories: [String]?,
        happenedAt: Date??, logger: Logger
    ) async throws -> Item? {
        let happenedText: String? = happenedAt.map { $0.map(Self.timestampText) ?? "" }
        do {
            return try await items("""
                UPDATE memory_items SET
                    text = coalesce(\(text), text),
                    content_hash = coalesce(\(contentHash), content_hash),
                    type = coalesce(\(type), type),
                    categories = coalesce(\(categories.map(Self.arrayLiteral))::text[], categories),
                    happened_at = CASE WHEN \(happenedText)::text IS NULL THEN happened_at
                                       ELSE nullif(\(happenedText), '')::timestamptz END,
                    updated_at = now()
                WHERE id = \(id) AND tenant_id = \(tenantID)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger).first
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StorageError(.conflict, "the user already has a memory with this text")
        }
    }

    /// Deletes an item and its vectors in every space; false if it did not exist.
    public func delete(id: String, tenantID: String, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                DELETE FROM embeddings WHERE tenant_id = \(tenantID) AND target_kind = 'memory_item' AND target_id = \(id)
                """, logger: logger)
            let rows = try await connection.query(
                "DELETE FROM memory_items WHERE id = \(id) AND tenant_id = \(tenantID) RETURNING id", logger: logger)
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    /// Deletes every item, message, vector (in every space) and category of one user;
    /// returns the number of items.
    public func purge(tenantID: String, userID: String, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                DELETE FROM embeddings e USING memory_items m
                WHERE e.tenant_id = \(tenantID) AND e.target_kind = 'memory_item' AND e.target_id = m.id
                  AND m.tenant_id = \(tenantID) AND m.user_id = \(userID)
                """, logger: logger)
            try await connection.query("""
                DELETE FROM embeddings e USING memory_messages g
                WHERE e.tenant_id = \(tenantID) AND e.target_kind = 'message' AND e.target_id = g.id
                  AND g.tenant_id = \(tenantID) AND g.user_id = \(userID)
                """, logger: logger)
            try await connection.query(
                "DELETE FROM memory_messages WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM memory_categories WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            let rows = try await connection.query(
                "WITH gone AS (DELETE FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// The content hash of an item: SHA-256 (hex) of its normalized text
    /// (`MemoryText.normalized`), so restatements of one fact share it.
    public static func contentHash(ofNormalized text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    // MARK: - SQL helpers

    private static let columns = """
        id, tenant_id, user_id, agent_id, type, text, categories, happened_at, reinforcement_count,
        resource_id, source_job_id, created_at, updated_at, message_ids
        """

    static func append(_ filter: Filter, to query: inout PostgresQuery, table: String) {
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            query.binds.append(value)
            return "$\(query.binds.count)"
        }
        if let agentID = filter.agentID {
            query.sql += " AND (\(table).agent_id IS NULL OR \(table).agent_id = \(bind(agentID)))"
        }
        if !filter.types.isEmpty { query.sql += " AND \(table).type = ANY(\(bind(filter.types)))" }
        if !filter.categories.isEmpty { query.sql += " AND \(table).categories && \(bind(filter.categories))" }
        if let since = filter.since { query.sql += " AND coalesce(\(table).happened_at, \(table).created_at) >= \(bind(since))" }
        if let until = filter.until { query.sql += " AND coalesce(\(table).happened_at, \(table).created_at) < \(bind(until))" }
    }

    private func items(_ query: PostgresQuery, logger: Logger) async throws -> [Item] {
        var found: [Item] = []
        for try await row in try await client.query(query, logger: logger) { found.append(try Self.item(from: row)) }
        return found
    }

    private static func items(on connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [Item] {
        var found: [Item] = []
        for try await row in try await connection.query(query, logger: logger) { found.append(try item(from: row)) }
        return found
    }

    static func item(from row: PostgresRow) throws -> Item {
        let columns = row.makeRandomAccess()
        return Item(
            id: try columns[0].decode(String.self), tenantID: try columns[1].decode(String.self),
            userID: try columns[2].decode(String.self), agentID: try columns[3].decode(String?.self),
            type: try columns[4].decode(String.self), text: try columns[5].decode(String.self),
            categories: try columns[6].decode([String].self), happenedAt: try columns[7].decode(Date?.self),
            reinforcementCount: try columns[8].decode(Int.self), resourceID: try columns[9].decode(String?.self),
            sourceJobID: try columns[10].decode(String?.self), createdAt: try columns[11].decode(Date.self),
            updatedAt: try columns[12].decode(Date.self), messageIDs: try columns[13].decode([String].self))
    }

    /// A PostgreSQL array literal (`{"a","b"}`), for arrays of arrays through unnest().
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    static func timestampText(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
