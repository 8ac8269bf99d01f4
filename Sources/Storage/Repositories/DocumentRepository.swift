public import Contracts
public import Foundation
public import Logging
public import PostgresNIO

/// A tenant's documents (backfills and `embed.v1` jobs store them): read, list, delete,
/// and a hybrid search across the tenant, the nearest by vector through the space's HNSW
/// index (a tenant may hold millions) fused by the caller with the best by words. Every
/// query names the tenant.
public struct DocumentRepository: Sendable {
    public struct Document: Sendable, Equatable {
        /// The id the producer gave it.
        public var externalID: String
        public var text: String
        public var metadata: [String: JSONValue]
        public var createdAt: Date
        public var updatedAt: Date
    }

    /// Narrows list and search. Nil and empty mean "any".
    public struct Filter: Sendable, Equatable {
        /// Documents stored for this user (`metadata.user_id`).
        public var userID: String?
        /// Documents whose metadata holds all these pairs.
        public var metadata: [String: JSONValue]

        public init(userID: String? = nil, metadata: [String: JSONValue] = [:]) {
            self.userID = userID
            self.metadata = metadata
        }
    }

    public struct Page: Sendable, Equatable {
        public var documents: [Document]
        /// Present when more follow; (created_at, external_id) of the last one.
        public var next: MemoryRepository.Cursor?
    }

    public struct Hit: Sendable, Equatable {
        public var document: Document
        /// Cosine similarity and its rank among the nearest.
        public var vector: RecallRepository.Signal?
        /// `ts_rank_cd` and its rank among the best by words.
        public var lexical: RecallRepository.Signal?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func get(externalID: String, tenantID: String, logger: Logger) async throws -> Document? {
        try await documents(
            "SELECT \(unescaped: Self.columns) FROM documents WHERE tenant_id = \(tenantID) AND external_id = \(externalID)",
            logger: logger
        ).first
    }

    /// Newest first, `limit` per page.
    public func list(tenantID: String, filter: Filter, after cursor: MemoryRepository.Cursor?, limit: Int, logger: Logger) async throws
        -> Page
    {
        var query: PostgresQuery = """
            SELECT \(unescaped: Self.columns), (extract(epoch FROM created_at) * 1000000)::int8 FROM documents
            WHERE tenant_id = \(tenantID)
            """
        try Self.append(filter, to: &query)
        if let cursor {
            query.sql += " AND (created_at, external_id) < (timestamptz 'epoch' + $\(query.binds.count + 1) * interval '1 microsecond', $\(query.binds.count + 2))"
            query.binds.append(cursor.createdAtMicroseconds)
            query.binds.append(cursor.id)
        }
        query.sql += " ORDER BY created_at DESC, external_id DESC LIMIT \(limit + 1)"
        var found: [(Document, Int64)] = []
        for try await row in try await client.query(query, logger: logger) {
            found.append((try Self.document(from: row), try row.makeRandomAccess()[5].decode(Int64.self)))
        }
        var next: MemoryRepository.Cursor?
        if found.count > limit {
            found.removeLast()
            next = found.last.map { MemoryRepository.Cursor(createdAtMicroseconds: $0.1, id: $0.0.externalID) }
        }
        return Page(documents: found.map(\.0), next: next)
    }

    /// Deletes the document and its vectors in every space; false if there was none.
    public func delete(externalID: String, tenantID: String, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                DELETE FROM embeddings e USING embedding_spaces s
                WHERE e.space_id = s.id AND e.tenant_id = \(tenantID) AND e.target_kind = 'document' AND e.target_id = \(externalID)
                """, logger: logger)
            for try await _ in try await connection.query(
                "DELETE FROM documents WHERE tenant_id = \(tenantID) AND external_id = \(externalID) RETURNING 1", logger: logger)
            {
                return true
            }
            return false
        }
    }

    /// Up to `depth` documents nearest to `vector` and up to `depth` best by words (OR of
    /// the query's terms but the common ones, `ts_rank_cd`), each with its rank and score,
    /// in one round trip (two without `commonTerms`, which are then read).
    /// The nearest are the `candidates` nearest in the space's index (Hamming distance of
    /// sign bits, filters applied while it scans) re-ranked by exact cosine.
    public func search(
        tenantID: String, filter: Filter, spaceID: String, dimensions: Int, vector: [Float], text: String, depth: Int,
        candidates: Int, commonTerms: [String: Double]? = nil, logger: Logger
    ) async throws -> [Hit] {
        var common = commonTerms ?? [:]
        if commonTerms == nil { common = try await CommonTerms.load(.documents, client: client, logger: logger) }
        // $1 is the tenant, $2 the space, $3 the query vector, $4 the query text. The vector
        // is parsed once (`asked`); the ordering expression is the indexed one.
        let cast = "::vector(\(dimensions))"
        var query = PostgresQuery(unsafeSQL: """
            WITH asked AS MATERIALIZED (SELECT $3\(cast) AS v),
            candidates AS (
                SELECT e.target_id AS id, e.embedding\(cast) AS embedding
                FROM embeddings e
                WHERE e.space_id = $2 AND e.tenant_id = $1 AND e.target_kind = 'document'
                  AND EXISTS (SELECT 1 FROM documents d WHERE d.tenant_id = e.tenant_id AND d.external_id = e.target_id
            """)
        query.binds.append(tenantID)
        query.binds.append(spaceID)
        query.binds.append(EmbeddingRepository.literal(vector))
        query.binds.append(text)
        try Self.append(filter, to: &query, table: "d")
        query.sql += """
            )
                ORDER BY \(EmbeddingSpaceRepository.quantized("e.embedding", dimensions: dimensions))
                         <~> (SELECT binary_quantize(v) FROM asked)
                LIMIT \(max(candidates, depth))
            ),
            vec AS (
                SELECT id, 1 - distance AS score, row_number() OVER (ORDER BY distance, id) AS rank FROM (
                    SELECT c.id, c.embedding <=> asked.v AS distance FROM candidates c CROSS JOIN asked
                    ORDER BY distance LIMIT \(depth)
                ) AS nearest
            ),
            terms AS (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', memgrid_search_text($4)))) AS term),
            \(CommonTerms.kept(common) { query.binds.append($0); return "$\(query.binds.count)" }),
            tsq AS (SELECT \(CommonTerms.disjunction) AS q, \(CommonTerms.selective) AS selective FROM kept),
            lex AS (
                SELECT id, score, row_number() OVER (ORDER BY score DESC, id) AS rank FROM (
                    SELECT d.external_id AS id, ts_rank_cd(d.lexemes, tsq.q) AS score FROM (
                        (SELECT d.external_id, d.lexemes FROM documents d CROSS JOIN tsq
                         WHERE (SELECT selective FROM tsq) AND d.tenant_id = $1 AND d.lexemes @@ tsq.q
            """
        try Self.append(filter, to: &query, table: "d")
        // When every term is common, their matches are too many to pick any: they only
        // rank the nearest.
        query.sql += """

                         LIMIT \(Self.lexicalMatches))
                        UNION ALL
                        SELECT d.external_id, d.lexemes FROM vec JOIN documents d ON d.tenant_id = $1 AND d.external_id = vec.id
                        CROSS JOIN tsq WHERE NOT (SELECT selective FROM tsq) AND d.lexemes @@ tsq.q
                    ) AS d CROSS JOIN tsq
                    ORDER BY score DESC, id LIMIT \(depth)
                ) AS best
            ),
            ranked AS (
                SELECT coalesce(v.id, l.id) AS id, v.rank AS vector_rank, v.score AS vector_score, l.rank AS lexical_rank,
                       l.score AS lexical_score
                FROM vec v FULL JOIN lex l ON l.id = v.id
            )
            SELECT \(Self.columns("d")), r.vector_rank, r.vector_score, r.lexical_rank, r.lexical_score::float8
            FROM ranked r JOIN documents d ON d.tenant_id = $1 AND d.external_id = r.id
            """
        var hits: [Hit] = []
        for try await row in try await client.query(query, logger: logger) {
            let columns = row.makeRandomAccess()
            func signal(_ rank: Int, _ score: Int) throws -> RecallRepository.Signal? {
                guard let rank = try columns[rank].decode(Int?.self) else { return nil }
                return RecallRepository.Signal(rank: rank, score: try columns[score].decode(Double.self))
            }
            hits.append(Hit(document: try Self.document(from: row), vector: try signal(5, 6), lexical: try signal(7, 8)))
        }
        return hits
    }

    /// At most this many matching documents are ranked by words, in storage order: a
    /// bound on the cost when a kept term is common.
    static let lexicalMatches = 2000

    // MARK: - SQL helpers

    private static let columns = columns("documents")

    private static func columns(_ table: String) -> String {
        "\(table).external_id, \(table).text, \(table).metadata::text, \(table).created_at, \(table).updated_at"
    }

    /// The filter's conditions, ` AND …`, on `table`.
    private static func append(_ filter: Filter, to query: inout PostgresQuery, table: String = "documents") throws {
        if let userID = filter.userID {
            query.binds.append(userID)
            query.sql += " AND \(table).metadata->>'user_id' = $\(query.binds.count)"
        }
        if !filter.metadata.isEmpty {
            query.binds.append(try MemoryRepository.json(filter.metadata))
            query.sql += " AND \(table).metadata @> $\(query.binds.count)::jsonb"
        }
    }

    private func documents(_ query: PostgresQuery, logger: Logger) async throws -> [Document] {
        var found: [Document] = []
        for try await row in try await client.query(query, logger: logger) { found.append(try Self.document(from: row)) }
        return found
    }

    private static func document(from row: PostgresRow) throws -> Document {
        let columns = row.makeRandomAccess()
        return Document(
            externalID: try columns[0].decode(String.self), text: try columns[1].decode(String.self),
            metadata: try WireJSON.decoder().decode([String: JSONValue].self, from: Data(try columns[2].decode(String.self).utf8)),
            createdAt: try columns[3].decode(Date.self), updatedAt: try columns[4].decode(Date.self))
    }
}
