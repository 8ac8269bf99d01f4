public import Contracts
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
        /// From when the fact held (the conversation's time), and until when: nil while
        /// current, else when `supersededBy` replaced it.
        public var validFrom: Date
        public var validUntil: Date?
        public var supersededBy: String?
        /// The single-valued thing it states (`residence`), when known.
        public var slot: String?
        /// The application's own key/values.
        public var metadata: [String: JSONValue]
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
        /// When it was said: a newer item of the same `slot` supersedes it from then on.
        public var validFrom: Date
        public var slot: String?
        /// Items this one replaces (the LLM said so): closed when it is stored.
        public var supersedes: [String]
        public var metadata: [String: JSONValue]

        public init(
            type: String, text: String, contentHash: String, categories: [String], happenedAt: Date?, messageIDs: [String] = [],
            validFrom: Date, slot: String? = nil, supersedes: [String] = [], metadata: [String: JSONValue] = [:]
        ) {
            self.type = type
            self.text = text
            self.contentHash = contentHash
            self.categories = categories
            self.happenedAt = happenedAt
            self.messageIDs = messageIDs
            self.validFrom = validFrom
            self.slot = slot
            self.supersedes = supersedes
            self.metadata = metadata
        }
    }

    /// Who made a change, for the item's history: a job, or an HTTP request.
    public struct Origin: Sendable, Equatable {
        public var jobID: String?
        public var requestID: String?

        public static func job(_ id: String) -> Origin { Origin(jobID: id, requestID: nil) }
        public static func request(_ id: String) -> Origin { Origin(jobID: nil, requestID: id) }
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
        /// Items valid at this instant (and messages sent by then); nil = current items.
        public var asOf: Date?
        /// Every item, current or superseded (when `asOf` is nil).
        public var includeSuperseded: Bool
        /// Items whose metadata holds all these pairs.
        public var metadata: [String: JSONValue]

        public init(
            agentID: String? = nil, types: [String] = [], categories: [String] = [], since: Date? = nil, until: Date? = nil,
            asOf: Date? = nil, includeSuperseded: Bool = false, metadata: [String: JSONValue] = [:]
        ) {
            self.agentID = agentID
            self.types = types
            self.categories = categories
            self.since = since
            self.until = until
            self.asOf = asOf
            self.includeSuperseded = includeSuperseded
            self.metadata = metadata
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

    /// What `record` did.
    public struct Recorded: Sendable, Equatable {
        /// Every item the job stated, created or reinforced, as stored now.
        public var items: [Item]
        /// Items the job's new facts closed (superseded).
        public var superseded: [Item]
    }

    /// Stores the items a job extracted (or a client added: `source` is then the request's
    /// idempotency id). A fact the user already has (same content hash) is reinforced once
    /// per distinct source, so redelivery changes nothing; a superseded fact said again
    /// after it was replaced becomes current again. A new item closes the current items of
    /// its slot and those it `supersedes` (`close`). Every change gets a history row, and
    /// each closed item a `memory.superseded` event in the outbox.
    public func record(
        _ items: [NewItem], tenantID: String, userID: String, agentID: String?, resourceID: String?,
        source: String, origin: Origin, on connection: PostgresConnection, logger: Logger
    ) async throws -> Recorded {
        var unique: [String: NewItem] = [:]
        var order: [String] = []
        for item in items {
            if let earlier = unique[item.contentHash] {
                unique[item.contentHash]?.messageIDs = Array(Set(earlier.messageIDs + item.messageIDs)).sorted()
                unique[item.contentHash]?.supersedes = Array(Set(earlier.supersedes + item.supersedes)).sorted()
            } else {
                unique[item.contentHash] = item
                order.append(item.contentHash)
            }
        }
        let rows = order.map { unique[$0]! }
        guard !rows.isEmpty else { return Recorded(items: [], superseded: []) }
        let ids = rows.map { _ in UUID().uuidString.lowercased() }
        // Timestamps and optional texts travel as text: unnest() of nullable arrays needs no NULL tricks then.
        let happened = rows.map { $0.happenedAt.map(Self.timestampText) ?? "" }
        let categories = rows.map { Self.arrayLiteral($0.categories) }
        let messageIDs = rows.map { Self.arrayLiteral($0.messageIDs) }
        let metadata = try rows.map { try Self.json($0.metadata) }
        // Said again at or after it was replaced: current again, from the new statement on.
        // (A redelivered older job states it before it was replaced: nothing changes.)
        let reopens = "memory_items.valid_until IS NOT NULL AND EXCLUDED.valid_from >= memory_items.valid_until"
        var stored: [(item: Item, inserted: Bool, restored: Bool, hash: String)] = []
        let upserted = try await connection.query("""
            INSERT INTO memory_items (id, tenant_id, user_id, agent_id, type, text, content_hash, categories,
                                      happened_at, resource_id, source_job_id, message_ids, valid_from, slot, metadata)
            SELECT i, \(tenantID), \(userID), \(agentID), ty, tx, h, c::text[], nullif(ha, '')::timestamptz, \(resourceID), \(source),
                   mi::text[], vf, nullif(sl, ''), md::jsonb
            FROM unnest(\(ids), \(rows.map(\.type)), \(rows.map(\.text)), \(rows.map(\.contentHash)),
                        \(categories), \(happened), \(messageIDs), \(rows.map(\.validFrom)), \(rows.map { $0.slot ?? "" }),
                        \(metadata)) AS u(i, ty, tx, h, c, ha, mi, vf, sl, md)
            ON CONFLICT (tenant_id, user_id, coalesce(agent_id, ''), content_hash)
            DO UPDATE SET categories = ARRAY(SELECT DISTINCT unnest(memory_items.categories || EXCLUDED.categories) ORDER BY 1),
                          message_ids = ARRAY(SELECT DISTINCT unnest(memory_items.message_ids || EXCLUDED.message_ids) ORDER BY 1),
                          slot = coalesce(memory_items.slot, EXCLUDED.slot),
                          valid_from = CASE WHEN \(unescaped: reopens) THEN EXCLUDED.valid_from ELSE memory_items.valid_from END,
                          superseded_by = CASE WHEN \(unescaped: reopens) THEN NULL ELSE memory_items.superseded_by END,
                          valid_until = CASE WHEN \(unescaped: reopens) THEN NULL ELSE memory_items.valid_until END
            RETURNING \(unescaped: Self.columns), xmax = 0,
                      -- The statement's subqueries see the rows as they were before it.
                      (SELECT h.valid_until IS NOT NULL FROM memory_items h WHERE h.id = memory_items.id), content_hash
            """, logger: logger)
        for try await row in upserted {
            let columns = row.makeRandomAccess()
            let item = try Self.item(from: row)
            let wasClosed = try columns[Self.columnCount + 1].decode(Bool?.self) ?? false
            stored.append((
                item, try columns[Self.columnCount].decode(Bool.self), wasClosed && item.validUntil == nil,
                try columns[Self.columnCount + 2].decode(String.self)))
        }
        // In the order the job stated them: of two facts of one slot, the later one wins.
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        stored.sort { position[$0.hash, default: 0] < position[$1.hash, default: 0] }
        let storedIDs = stored.map(\.item.id)
        let reinforced = try await Self.reinforce(ids: storedIDs, source: source, on: connection, logger: logger)
        var history = stored.compactMap { entry -> MemoryHistoryRepository.Entry? in
            if entry.inserted { return .init(item: entry.item, action: .created, origin: origin) }
            if entry.restored { return .init(item: entry.item, action: .restored, origin: origin) }
            return nil
        }
        history += stored.filter { reinforced.contains($0.item.id) }.map { .init(item: $0.item, action: .reinforced, origin: origin) }
        try await MemoryHistoryRepository.note(history, on: connection, logger: logger)

        var superseded: [Item] = []
        for entry in stored {
            if entry.inserted || entry.restored {
                superseded += try await Self.closeSlot(of: entry.item, origin: origin, on: connection, logger: logger)
            }
            for oldID in unique[entry.hash]?.supersedes ?? [] {
                if let closed = try await Self.close(oldID, by: entry.item, origin: origin, on: connection, logger: logger) {
                    superseded.append(closed)
                }
            }
        }
        let current = try await Self.items(on: connection, """
            SELECT \(unescaped: Self.columns) FROM memory_items WHERE id = ANY(\(storedIDs)) ORDER BY created_at, id
            """, logger: logger)
        return Recorded(items: current, superseded: superseded)
    }

    /// Stores one item a client added directly (`record` with one item) and, when it is
    /// new, queues its `memory.created`. Returns the item as stored: its `sourceJobID` is
    /// `source` when this source created it.
    public func add(
        _ item: NewItem, tenantID: String, userID: String, agentID: String?, source: String, origin: Origin, logger: Logger
    ) async throws -> Item {
        try await client.withTransaction(logger: logger) { connection in
            let recorded = try await record(
                [item], tenantID: tenantID, userID: userID, agentID: agentID, resourceID: nil, source: source, origin: origin,
                on: connection, logger: logger)
            guard let stored = recorded.items.first else { throw StorageError(.notFound, "the item was not stored") }
            if stored.sourceJobID == source {
                try await EventOutbox.add(
                    [Self.event(about: stored, id: "\(stored.id):memory.created", origin: origin,
                                payload: MemoryCreated(
                                    memoryID: stored.id, userID: userID, agentID: agentID, memoryType: stored.type,
                                    categories: stored.categories))],
                    on: connection, logger: logger)
            }
            return stored
        }
    }

    /// Reinforces the user's items `ids` once for `source` (an LLM said a new fact restates
    /// them), noting it in their history. Returns the ids it reinforced.
    public func reinforce(
        ids: [String], tenantID: String, userID: String, source: String, origin: Origin, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [String] {
        guard !ids.isEmpty else { return [] }
        let owned = try await Self.items(on: connection, """
            SELECT \(unescaped: Self.columns) FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND id = ANY(\(ids))
            """, logger: logger)
        let reinforced = try await Self.reinforce(ids: owned.map(\.id), source: source, on: connection, logger: logger)
        try await MemoryHistoryRepository.note(
            owned.filter { reinforced.contains($0.id) }.map { .init(item: $0, action: .reinforced, origin: origin) },
            on: connection, logger: logger)
        return owned.map(\.id).filter(reinforced.contains)
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
            let micros = try row.makeRandomAccess()[Self.columnCount].decode(Int64.self)
            found.append((try Self.item(from: row), micros))
        }
        var next: Cursor?
        if found.count > limit {
            found.removeLast()
            next = found.last.map { Cursor(createdAtMicroseconds: $0.micros, id: $0.item.id) }
        }
        return Page(items: found.map(\.item), next: next)
    }

    /// What a PATCH changes; nil fields stay as they are.
    public struct Edit: Sendable, Equatable {
        public var text: String?
        /// Of the new text's normalized form: required with `text`.
        public var contentHash: String?
        public var type: String?
        public var categories: [String]?
        /// `.some(nil)` clears it.
        public var happenedAt: Date??
        /// Replaces the whole object.
        public var metadata: [String: JSONValue]?

        public init(
            text: String? = nil, contentHash: String? = nil, type: String? = nil, categories: [String]? = nil,
            happenedAt: Date?? = nil, metadata: [String: JSONValue]? = nil
        ) {
            self.text = text
            self.contentHash = contentHash
            self.type = type
            self.categories = categories
            self.happenedAt = happenedAt
            self.metadata = metadata
        }

        /// The `memory.updated` field names it sets.
        var fields: [String] {
            [("text", text != nil), ("type", type != nil), ("categories", categories != nil), ("happened_at", happenedAt != nil),
             ("metadata", metadata != nil)].filter(\.1).map(\.0)
        }
    }

    /// Edits an item, with a history row and a `memory.updated` event. Returns nil if the
    /// item does not exist; throws `.conflict` if the user already has an item with the new text.
    public func update(id: String, tenantID: String, edit: Edit, origin: Origin, logger: Logger) async throws -> Item? {
        let happenedText: String? = edit.happenedAt.map { $0.map(Self.timestampText) ?? "" }
        let metadata = try edit.metadata.map(Self.json)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                guard let item = try await Self.items(on: connection, """
                    UPDATE memory_items SET
                        text = coalesce(\(edit.text), text),
                        content_hash = coalesce(\(edit.contentHash), content_hash),
                        type = coalesce(\(edit.type), type),
                        categories = coalesce(\(edit.categories.map(Self.arrayLiteral))::text[], categories),
                        happened_at = CASE WHEN \(happenedText)::text IS NULL THEN happened_at
                                           ELSE nullif(\(happenedText), '')::timestamptz END,
                        metadata = coalesce(\(metadata)::jsonb, metadata),
                        updated_at = now()
                    WHERE id = \(id) AND tenant_id = \(tenantID)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger).first
                else { return nil }
                try await MemoryHistoryRepository.note([.init(item: item, action: .edited, origin: origin)], on: connection, logger: logger)
                try await EventOutbox.add(
                    [Self.event(about: item, id: "\(item.id):memory.updated:\(UUID().uuidString.lowercased())", origin: origin,
                                payload: MemoryUpdated(memory: item.ref, changed: edit.fields))],
                    on: connection, logger: logger)
                return item
            }
        } catch let error as PostgresTransactionError
            where (error.closureError as? PSQLError)?.serverInfo?[.sqlState] == "23505" {
            // The transaction wraps what its body threw.
            throw StorageError(.conflict, "the user already has a memory with this text")
        }
    }

    /// Deletes an item and its vectors in every space, cancels its reminders, notes it in
    /// its history and queues `memory.deleted`; false if it did not exist.
    public func delete(id: String, tenantID: String, origin: Origin, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let gone = try await Self.items(on: connection, """
                DELETE FROM memory_items WHERE id = \(id) AND tenant_id = \(tenantID) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            try await Self.forget(gone, reason: .deleted, origin: origin, on: connection, logger: logger)
            return !gone.isEmpty
        }
    }

    /// Deletes every item, message, vector (in every space) and category of one user, and
    /// cancels their reminders; each item gets its `deleted` history row and event.
    /// Returns the number of items.
    public func purge(tenantID: String, userID: String, origin: Origin, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                DELETE FROM embeddings e USING memory_messages g
                WHERE e.tenant_id = \(tenantID) AND e.target_kind = 'message' AND e.target_id = g.id
                  AND g.tenant_id = \(tenantID) AND g.user_id = \(userID)
                """, logger: logger)
            try await connection.query(
                "DELETE FROM memory_messages WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM memory_categories WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            let gone = try await Self.items(on: connection, """
                DELETE FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            try await Self.forget(gone, reason: .deleted, origin: origin, on: connection, logger: logger)
            return gone.count
        }
    }

    /// After items were deleted: their vectors in every space, their scheduled reminders,
    /// their history rows and `memory.deleted` events.
    static func forget(
        _ items: [Item], reason: MemoryDeleted.Reason, mergedInto: [String: String] = [:], origin: Origin,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !items.isEmpty else { return }
        let (ids, tenants) = (items.map(\.id), items.map(\.tenantID))
        // One index probe per space and item.
        try await connection.query("""
            DELETE FROM embeddings e USING embedding_spaces s, unnest(\(tenants), \(ids)) AS d(tenant_id, id)
            WHERE e.space_id = s.id AND e.tenant_id = d.tenant_id AND e.target_kind = 'memory_item' AND e.target_id = d.id
            """, logger: logger)
        try await connection.query("""
            UPDATE reminders r SET state = 'cancelled', last_error = \("the memory was \(reason.rawValue)"), updated_at = now()
            FROM unnest(\(tenants), \(ids)) AS d(tenant_id, id)
            WHERE r.tenant_id = d.tenant_id AND r.memory_id = d.id AND r.state = 'scheduled'
            """, logger: logger)
        let action: MemoryHistoryRepository.Action = switch reason {
        case .deleted: .deleted
        case .expired: .expired
        case .consolidated: .consolidated
        }
        try await MemoryHistoryRepository.note(
            items.map { .init(item: $0, action: action, origin: origin, relatedID: mergedInto[$0.id]) }, on: connection, logger: logger)
        try await EventOutbox.add(
            items.map { item in
                event(about: item, id: "\(item.id):memory.deleted", origin: origin,
                      payload: MemoryDeleted(memory: item.ref, reason: reason, mergedInto: mergedInto[item.id]))
            }, on: connection, logger: logger)
    }

    /// Cancels the still scheduled reminders of these items (one being fired goes out).
    static func cancelReminders(of ids: [String], tenantID: String, reason: String, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query("""
            UPDATE reminders SET state = 'cancelled', last_error = \(reason), updated_at = now()
            WHERE tenant_id = \(tenantID) AND memory_id = ANY(\(ids)) AND state = 'scheduled'
            """, logger: logger)
    }

    static func event<Payload: EventPayload>(about item: Item, id: String, origin: Origin, payload: Payload) -> EventEnvelope<Payload> {
        EventEnvelope(id: id, type: Payload.type, tenantID: item.tenantID, correlationID: origin.jobID, payload: payload)
    }

    /// The content hash of an item: SHA-256 (hex) of its normalized text
    /// (`MemoryText.normalized`), so restatements of one fact share it.
    public static func contentHash(ofNormalized text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    // MARK: - SQL helpers

    static let columns = """
        id, tenant_id, user_id, agent_id, type, text, categories, happened_at, reinforcement_count,
        resource_id, source_job_id, created_at, updated_at, message_ids, valid_from, valid_until, superseded_by, slot,
        metadata::text
        """
    static let columnCount = 19

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
        if let asOf = filter.asOf {
            query.sql += " AND \(table).valid_from <= \(bind(asOf)) AND (\(table).valid_until IS NULL OR \(table).valid_until > \(bind(asOf)))"
        } else if !filter.includeSuperseded {
            query.sql += " AND \(table).valid_until IS NULL"
        }
        if !filter.metadata.isEmpty {
            // Containment of the JSON text; a non-encodable value cannot come from a decoded request.
            query.sql += " AND \(table).metadata @> \(bind((try? json(filter.metadata)) ?? "{}"))::jsonb"
        }
    }

    private func items(_ query: PostgresQuery, logger: Logger) async throws -> [Item] {
        var found: [Item] = []
        for try await row in try await client.query(query, logger: logger) { found.append(try Self.item(from: row)) }
        return found
    }

    static func items(on connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [Item] {
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
            updatedAt: try columns[12].decode(Date.self), messageIDs: try columns[13].decode([String].self),
            validFrom: try columns[14].decode(Date.self), validUntil: try columns[15].decode(Date?.self),
            supersededBy: try columns[16].decode(String?.self), slot: try columns[17].decode(String?.self),
            metadata: try WireJSON.decoder().decode([String: JSONValue].self, from: Data(try columns[18].decode(String.self).utf8)))
    }

    /// Metadata as JSON text for a jsonb parameter.
    static func json(_ metadata: [String: JSONValue]) throws -> String {
        String(decoding: try WireJSON.encoder().encode(metadata), as: UTF8.self)
    }

    /// Reinforces the items once for `source`: a source states a fact once however often
    /// it is delivered. Returns the ids it reinforced.
    static func reinforce(ids: [String], source: String, on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let rows = try await connection.query("""
            WITH added AS (
                INSERT INTO memory_item_sources (item_id, job_id) SELECT i, \(source) FROM unnest(\(ids)) AS u(i)
                ON CONFLICT DO NOTHING RETURNING item_id
            )
            UPDATE memory_items m SET reinforcement_count = m.reinforcement_count + 1, updated_at = now()
            WHERE m.id IN (SELECT item_id FROM added) AND m.source_job_id IS DISTINCT FROM \(source)
            RETURNING m.id
            """, logger: logger)
        var reinforced: Set<String> = []
        for try await id in rows.decode(String.self) { reinforced.insert(id) }
        return reinforced
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
