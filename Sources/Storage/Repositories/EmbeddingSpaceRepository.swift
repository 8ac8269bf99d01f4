import Contracts
import Crypto
public import Foundation
public import Logging
public import PostgresNIO

/// Embedding spaces and the switch between them (docs/reembedding.md). Searches use the
/// one active space; a new model fills its own space beside it (dual writes plus a
/// re-embed backfill of what is missing), and `activate` flips searches over in one
/// transaction once the new space covers every memory item and document.
public struct EmbeddingSpaceRepository: Sendable {
    public struct Space: Sendable, Equatable {
        public var id: String
        public var model: String
        public var revision: String
        public var dimensions: Int
        public var active: Bool
        /// Its HNSW indexes exist and are valid (built at registration for the first
        /// space, at activation for later ones).
        public var indexed: Bool
        public var vectors: Int
        public var createdAt: Date
    }

    /// The space searches use.
    public struct Active: Sendable, Equatable {
        public var id: String
        public var model: String
        public var dimensions: Int

        public init(id: String, model: String, dimensions: Int) {
            self.id = id
            self.model = model
            self.dimensions = dimensions
        }
    }

    /// How much of the source rows (messages, memory items and documents) a space holds an
    /// up-to-date vector for: one whose content hash matches the current text.
    public struct Coverage: Sendable, Equatable {
        public var total: Int
        public var current: Int
        public var missing: Int { total - current }

        public init(total: Int, current: Int) {
            self.total = total
            self.current = current
        }
    }

    /// A row to (re-)embed into a space.
    public struct Target: Sendable, Equatable {
        public enum Kind: String, Sendable { case memoryItem = "memory_item", document, message }
        public var kind: Kind
        public var id: String
        public var text: String
        /// A document's metadata as JSON (re-sent so the upsert keeps it); nil for items.
        public var metadataJSON: String?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The active space; nil until an embedding worker has registered one.
    public func active(logger: Logger) async throws -> Active? {
        let rows = try await client.query("SELECT id, model, dimensions FROM embedding_spaces WHERE active", logger: logger)
        for try await (id, model, dimensions) in rows.decode((String, String, Int).self) {
            return Active(id: id, model: model, dimensions: dimensions)
        }
        return nil
    }

    /// The active space first, then by age.
    public func list(logger: Logger) async throws -> [Space] {
        let rows = try await client.query("""
            SELECT s.id, s.model, s.revision, s.dimensions, s.active, s.created_at,
                   (SELECT count(*) FROM embeddings e WHERE e.space_id = s.id)::bigint
            FROM embedding_spaces s ORDER BY s.active DESC, s.created_at, s.id
            """, logger: logger)
        var spaces: [Space] = []
        for try await (id, model, revision, dimensions, active, created, vectors) in rows.decode(
            (String, String, String, Int, Bool, Date, Int).self)
        {
            spaces.append(Space(
                id: id, model: model, revision: revision, dimensions: dimensions, active: active, indexed: false,
                vectors: vectors, createdAt: created))
        }
        for index in spaces.indices {
            spaces[index].indexed = try await indexed(spaces[index].id, logger: logger)
        }
        return spaces
    }

    public func isActive(_ spaceID: String, logger: Logger) async throws -> Bool {
        for try await active in try await client.query(
            "SELECT active FROM embedding_spaces WHERE id = \(spaceID)", logger: logger
        ).decode(Bool.self) {
            return active
        }
        return false
    }

    /// Counts over all tenants (or one): a full pass over messages, items and documents, for admins.
    public func coverage(of spaceID: String, tenantID: String? = nil, logger: Logger) async throws -> Coverage {
        let totals = try await client.query("""
            SELECT (SELECT count(*) FROM memory_items m WHERE \(tenantID)::text IS NULL OR m.tenant_id = \(tenantID))
                 + (SELECT count(*) FROM documents d WHERE \(tenantID)::text IS NULL OR d.tenant_id = \(tenantID))
                 + (SELECT count(*) FROM memory_messages g WHERE (\(tenantID)::text IS NULL OR g.tenant_id = \(tenantID)) AND btrim(g.content) <> '')
            """, logger: logger)
        var total = 0
        for try await count in totals.decode(Int.self) { total = count }
        return Coverage(total: total, current: total - (try await missingCount(in: spaceID, tenantID: tenantID, logger: logger)))
    }

    /// How many rows `forEachMissing` would yield (over all tenants for nil).
    public func missingCount(in spaceID: String, tenantID: String?, logger: Logger) async throws -> Int {
        let rows = try await client.query(
            Self.missing(in: spaceID, tenantID: tenantID, select: "SELECT count(*) FROM", orderBy: ""), logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// The tenant's messages, items, then documents, that have no up-to-date vector in the space, in
    /// a stable order; streamed, so millions of rows never sit in memory.
    public func forEachMissing(
        in spaceID: String, tenantID: String, logger: Logger, _ body: (Target) async throws -> Void
    ) async throws {
        let rows = try await client.query(
            Self.missing(in: spaceID, tenantID: tenantID, select: "SELECT kind, id, text, metadata FROM", orderBy: "ORDER BY kind DESC, id"),
            logger: logger)
        for try await (kind, id, text, metadata) in rows.decode((String, String, String, String?).self) {
            try await body(Target(kind: Target.Kind(rawValue: kind) ?? .document, id: id, text: text, metadataJSON: metadata))
        }
    }

    /// The one definition of "missing" that coverage and re-embedding share: messages, items and
    /// documents (of one tenant, or all for nil) without a vector in the space whose
    /// content hash matches the current text. `select` and `orderBy` are our own SQL.
    private static func missing(in spaceID: String, tenantID: String?, select: String, orderBy: String) -> PostgresQuery {
        """
        \(unescaped: select) (
          SELECT 'memory_item' AS kind, m.id, m.text, NULL::text AS metadata FROM memory_items m
          WHERE (\(tenantID)::text IS NULL OR m.tenant_id = \(tenantID)) AND NOT EXISTS (
            SELECT 1 FROM embeddings e
            WHERE e.space_id = \(spaceID) AND e.tenant_id = m.tenant_id AND e.target_kind = 'memory_item'
              AND e.target_id = m.id AND e.content_hash = encode(sha256(convert_to(m.text, 'UTF8')), 'hex'))
          UNION ALL
          SELECT 'document', d.external_id, d.text, d.metadata::text FROM documents d
          WHERE (\(tenantID)::text IS NULL OR d.tenant_id = \(tenantID)) AND NOT EXISTS (
            SELECT 1 FROM embeddings e
            WHERE e.space_id = \(spaceID) AND e.tenant_id = d.tenant_id AND e.target_kind = 'document'
              AND e.target_id = d.external_id AND e.content_hash = d.content_hash)
          UNION ALL
          SELECT 'message', g.id, \(unescaped: MessageRepository.embeddedTextSQL("g")), NULL FROM memory_messages g
          WHERE (\(tenantID)::text IS NULL OR g.tenant_id = \(tenantID)) AND btrim(g.content) <> '' AND NOT EXISTS (
            SELECT 1 FROM embeddings e
            WHERE e.space_id = \(spaceID) AND e.tenant_id = g.tenant_id AND e.target_kind = 'message' AND e.target_id = g.id
              AND e.content_hash = encode(sha256(convert_to(\(unescaped: MessageRepository.embeddedTextSQL("g")), 'UTF8')), 'hex'))
        ) AS missing \(unescaped: orderBy)
        """
    }

    /// Every tenant, for a re-embed that walks them all.
    public func tenantIDs(logger: Logger) async throws -> [String] {
        var ids: [String] = []
        for try await id in try await client.query("SELECT id FROM tenants ORDER BY id", logger: logger).decode(String.self) {
            ids.append(id)
        }
        return ids
    }

    public struct Activation: Sendable, Equatable {
        public var previous: String?
        public var coverage: Coverage
        public var builtIndex: Bool

        public init(previous: String?, coverage: Coverage, builtIndex: Bool) {
            self.previous = previous
            self.coverage = coverage
            self.builtIndex = builtIndex
        }
    }

    /// Makes `spaceID` the space searches use. Refuses while it lacks vectors for some
    /// items or documents (they would vanish from search) unless `force`. Builds the
    /// space's HNSW index first, concurrently, so writes go on meanwhile; the flip
    /// itself is one short transaction, so no search ever sees two spaces or none.
    public func activate(_ spaceID: String, force: Bool, logger: Logger) async throws -> Activation {
        let spaces = try await list(logger: logger)
        guard let space = spaces.first(where: { $0.id == spaceID }) else {
            throw StorageError(.notFound, "no embedding space '\(spaceID)': an embedding worker registers it when it starts")
        }
        let previous = spaces.first(where: \.active)?.id
        let coverage = try await coverage(of: spaceID, logger: logger)
        if coverage.missing > 0 && !force {
            throw StorageError(.conflict, """
                space '\(spaceID)' lacks vectors for \(coverage.missing) of \(coverage.total) messages, memory items and documents; \
                run `memgrid spaces reembed \(spaceID)` (or pass --force to switch anyway)
                """)
        }
        let builtIndex = !space.indexed
        if builtIndex { try await buildIndex(spaceID: spaceID, dimensions: space.dimensions, concurrently: true, logger: logger) }
        try await client.withTransaction(logger: logger) { connection in
            // Two statements: the one-active unique index would reject an order in which
            // the new row turns active before the old one turns off.
            try await connection.query("UPDATE embedding_spaces SET active = false WHERE active AND id <> \(spaceID)", logger: logger)
            try await connection.query("UPDATE embedding_spaces SET active = true WHERE id = \(spaceID)", logger: logger)
        }
        return Activation(previous: previous, coverage: coverage, builtIndex: builtIndex)
    }

    enum IndexState { case missing, invalid, valid }

    /// Deletes a space that searches no longer use: its vectors and its index. Refused for
    /// the active space.
    public func delete(_ spaceID: String, logger: Logger) async throws {
        if try await isActive(spaceID, logger: logger) {
            throw StorageError(.conflict, "space '\(spaceID)' is the active one: activate another first")
        }
        for name in [Self.indexName(spaceID), Self.userIndexName(spaceID)] {
            try await client.query(PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(name)"), logger: logger)
        }
        try await client.query("DELETE FROM embedding_spaces WHERE id = \(spaceID) AND NOT active", logger: logger)
    }

    /// The space's two partial HNSW indexes, each if missing; an invalid one (a
    /// concurrent build that was interrupted) is dropped and rebuilt. `concurrently` lets
    /// writes go on.
    ///
    /// Documents: a graph over each vector's sign bits (`quantized`), by Hamming distance:
    /// half the insert time of a float graph; searches re-rank its nearest candidates by
    /// exact cosine (`DocumentRepository.search`).
    ///
    /// Large users: a half-precision graph over only the vectors that carry `large_user_id`
    /// (`LargeUserRepository`). Every other memory item and message is left out: a search
    /// of them is an exact scan of one user's rows (`RecallRepository`), and keeping them
    /// in a graph cost every memorize most of its write time (docs/benchmarks.md).
    public func buildIndex(spaceID: String, dimensions: Int, concurrently: Bool = false, logger: Logger) async throws {
        let mode = concurrently ? "CONCURRENTLY " : ""
        // Index DDL cannot take bind parameters: the names are digests, the literal escaped.
        let literal = spaceID.replacingOccurrences(of: "'", with: "''")
        let indexes = [
            (Self.indexName(spaceID), "((\(Self.quantized("embedding", dimensions: dimensions))) bit_hamming_ops)", "target_kind = 'document'"),
            (Self.userIndexName(spaceID), Self.userIndexMethod(dimensions: dimensions), "large_user_id IS NOT NULL"),
        ]
        for (name, method, predicate) in indexes {
            if try await indexState(name, logger: logger) == .invalid {
                try await client.query(PostgresQuery(unsafeSQL: "DROP INDEX \(mode)IF EXISTS \(name)"), logger: logger)
            }
            do {
                try await client.query(PostgresQuery(unsafeSQL: """
                    CREATE INDEX \(mode)IF NOT EXISTS \(name) ON embeddings USING hnsw \(method)
                    WHERE space_id = '\(literal)' AND \(predicate)
                    """), logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                // IF NOT EXISTS checks the name before creating: two workers starting together
                // both pass the check, and the second insert of the name into pg_class fails.
                // The other one built the index.
            }
        }
    }

    /// Whether the index named `name` exists and is valid.
    func indexState(_ name: String, logger: Logger) async throws -> IndexState {
        for try await valid in try await client.query(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = \(name)",
            logger: logger
        ).decode(Bool.self) {
            return valid ? .valid : .invalid
        }
        return .missing
    }

    /// Both of the space's indexes are valid.
    func indexed(_ spaceID: String, logger: Logger) async throws -> Bool {
        guard try await indexState(Self.indexName(spaceID), logger: logger) == .valid else { return false }
        return try await indexState(Self.userIndexName(spaceID), logger: logger) == .valid
    }

    /// The expression a space's document index is built on: the sign bit of each of the
    /// vector's `dimensions` (pgvector's `binary_quantize`).
    public static func quantized(_ vector: String, dimensions: Int) -> String {
        "binary_quantize(\(vector)::vector(\(dimensions)))::bit(\(dimensions))"
    }

    /// The user index's method: half-precision cosine, with more links per node and a
    /// wider build search than pgvector's defaults (16, 64). On one user's 100,000 items it
    /// gave recall@10 0.96 at `hnsw.ef_search` 20 where the float graph with the defaults
    /// gave 0.89 in the same time (docs/benchmarks.md, "Large users").
    static func userIndexMethod(dimensions: Int) -> String {
        "((embedding::halfvec(\(dimensions))) halfvec_cosine_ops) WITH (m = 24, ef_construction = 128)"
    }

    /// `embeddings_users_<digest of the space id>`: the index of large users' vectors.
    public static func userIndexName(_ spaceID: String) -> String {
        "embeddings_users_" + SHA256.hash(data: Data(spaceID.utf8)).prefix(10).hexString
    }

    /// `embeddings_hnsw_<digest of the space id>`: a safe, unique identifier.
    static func indexName(_ spaceID: String) -> String {
        "embeddings_hnsw_" + SHA256.hash(data: Data(spaceID.utf8)).prefix(10).hexString
    }
}
