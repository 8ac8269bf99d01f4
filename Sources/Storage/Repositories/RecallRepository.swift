public import Foundation
public import Logging
public import PostgresNIO

/// The candidates of a hybrid search over one user's memory items and messages: the
/// nearest by vector (an exact scan of the user's rows: one user's memory is small) and
/// the best by words (BM25 over `lexemes`), each with its rank and score, in one round
/// trip. Items and messages are ranked as two collections: short restated facts and
/// whole messages differ in length and wording, so one BM25 length norm or one ranking
/// over both would favour one kind (on LoCoMo, one ranking over both lost 0.09 of
/// evidence recall). Fusing them is the caller's (`Retriever` in the gateway).
public struct RecallRepository: Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case memory, message
    }

    public struct Request: Sendable {
        public var tenantID: String
        public var userID: String
        /// Item filters; messages have no type, category or metadata, so such a filter
        /// leaves them out.
        public var filter: MemoryRepository.Filter
        public var kinds: Set<Kind>
        public var spaceID: String
        /// Nil: by words only.
        public var vector: [Float]?
        public var text: String
        /// Candidates taken from each signal, per kind.
        public var depth: Int

        public init(
            tenantID: String, userID: String, filter: MemoryRepository.Filter, kinds: Set<Kind>, spaceID: String, vector: [Float]?,
            text: String, depth: Int
        ) {
            self.tenantID = tenantID
            self.userID = userID
            self.filter = filter
            self.kinds = kinds
            self.spaceID = spaceID
            self.vector = vector
            self.text = text
            self.depth = depth
        }
    }

    /// Where a candidate stood in one signal's ranking of its kind (1 = best) and its score there.
    public struct Signal: Sendable, Equatable, Encodable {
        public var rank: Int
        public var score: Double

        public init(rank: Int, score: Double) {
            self.rank = rank
            self.score = score
        }
    }

    public struct Candidate: Sendable, Equatable {
        public var kind: Kind
        /// The item's id, or the message's row id.
        public var id: String
        public var text: String
        /// When it happened: the item's happened_at (else its creation), the message's time.
        public var time: Date
        /// The message's speaker.
        public var name: String?
        /// The message ids it stands on: an item's sources, a message itself.
        public var messageIDs: [String]
        public var reinforcementCount: Int
        /// Cosine similarity.
        public var vector: Signal?
        /// BM25.
        public var lexical: Signal?

        public init(
            kind: Kind, id: String, text: String, time: Date, name: String?, messageIDs: [String], reinforcementCount: Int,
            vector: Signal?, lexical: Signal?
        ) {
            self.kind = kind
            self.id = id
            self.text = text
            self.time = time
            self.name = name
            self.messageIDs = messageIDs
            self.reinforcementCount = reinforcementCount
            self.vector = vector
            self.lexical = lexical
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func candidates(_ request: Request, logger: Logger) async throws -> [Candidate] {
        let filter = request.filter
        // Messages have no type, category or metadata: such a filter leaves them out.
        let messagesWanted = request.kinds.contains(.message) && filter.types.isEmpty && filter.categories.isEmpty
            && filter.metadata.isEmpty
        var query: PostgresQuery = """
            WITH pool AS MATERIALIZED (
                SELECT 'memory' AS kind, m.id, m.text, coalesce(m.happened_at, m.created_at) AS at, NULL::text AS name,
                       m.message_ids, m.reinforcement_count, m.lexemes, e.embedding
                FROM memory_items m
                -- One primary-key probe per row, whatever the statistics say (LIMIT keeps
                -- the subquery from being flattened into a join): just after a bulk write
                -- they are stale, and the planner scanned every vector of the space per
                -- row instead (LoCoMo retrieve p50 14 → 150 ms).
                LEFT JOIN LATERAL (
                    SELECT embedding FROM embeddings WHERE space_id = \(request.spaceID) AND tenant_id = \(request.tenantID)
                                                       AND target_kind = 'memory_item' AND target_id = m.id LIMIT 1
                ) e ON true
                WHERE \(request.kinds.contains(.memory)) AND m.tenant_id = \(request.tenantID) AND m.user_id = \(request.userID)
            """
        MemoryRepository.append(filter, to: &query, table: "m")
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            query.binds.append(value)
            return "$\(query.binds.count)"
        }
        query.sql += """

                UNION ALL
                SELECT 'message', g.id, g.content, g.sent_at, g.name, ARRAY[g.message_id], 1, g.lexemes, e.embedding
                FROM memory_messages g
                LEFT JOIN LATERAL (
                    SELECT embedding FROM embeddings WHERE space_id = \(bind(request.spaceID)) AND tenant_id = g.tenant_id
                                                       AND target_kind = 'message' AND target_id = g.id LIMIT 1
                ) e ON true
                WHERE \(bind(messagesWanted)) AND g.tenant_id = \(bind(request.tenantID)) AND g.user_id = \(bind(request.userID))
            """
        if let agentID = filter.agentID { query.sql += " AND (g.agent_id IS NULL OR g.agent_id = \(bind(agentID)))" }
        if let since = filter.since { query.sql += " AND g.sent_at >= \(bind(since))" }
        if let until = filter.until { query.sql += " AND g.sent_at < \(bind(until))" }
        if let asOf = filter.asOf { query.sql += " AND g.sent_at <= \(bind(asOf))" }
        let vector = request.vector.map { bind(EmbeddingRepository.literal($0)) } ?? "NULL"
        let depth = bind(request.depth)
        // BM25 (k1 1.2, b 0.75) with each kind's rows as the collection; a term's document
        // frequency is exact because every row holding a query term is matched. Query
        // terms are OR-ed: a question shares only some words with its answer.
        query.sql += """

            ),
            terms AS (SELECT tsvector_to_array(to_tsvector('english', memgrid_search_text(\(bind(request.text))))) AS list),
            tsq AS (
                SELECT (SELECT string_agg('''' || replace(replace(term, '\\', '\\\\'), '''', '''''') || '''', ' | ')
                        FROM unnest(list) AS term)::tsquery AS q, list FROM terms
            ),
            -- The query vector is parsed once here: a cast of the parameter inside the scan
            -- would parse its text again for every row (it was most of a search's time).
            asked AS MATERIALIZED (SELECT \(vector)::vector AS v),
            vec AS (
                SELECT kind, id, 1 - distance AS score, rank FROM (
                    SELECT kind, id, distance, row_number() OVER (PARTITION BY kind ORDER BY distance, id) AS rank
                    FROM (SELECT kind, id, embedding <=> asked.v AS distance FROM pool CROSS JOIN asked WHERE embedding IS NOT NULL AND asked.v IS NOT NULL) AS scored
                ) AS ranked WHERE rank <= \(depth)
            ),
            stats AS (
                SELECT kind, count(*)::float8 AS n, greatest(avg(length(lexemes)), 1)::float8 AS avgdl FROM pool GROUP BY kind
            ),
            occurrences AS (
                SELECT p.kind, p.id, t.lexeme, coalesce(array_length(t.positions, 1), 1)::float8 AS tf, length(p.lexemes)::float8 AS dl
                FROM pool p CROSS JOIN tsq CROSS JOIN LATERAL unnest(p.lexemes) AS t
                WHERE p.lexemes @@ tsq.q AND t.lexeme = ANY(tsq.list)
            ),
            df AS (SELECT kind, lexeme, count(*)::float8 AS df FROM occurrences GROUP BY kind, lexeme),
            lex AS (
                SELECT * FROM (
                    SELECT kind, id, score, row_number() OVER (PARTITION BY kind ORDER BY score DESC, id) AS rank FROM (
                        SELECT o.kind, o.id,
                               sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5)) * o.tf * 2.2 / (o.tf + 1.2 * (0.25 + 0.75 * o.dl / s.avgdl))) AS score
                        FROM occurrences o JOIN df USING (kind, lexeme) JOIN stats s USING (kind) GROUP BY o.kind, o.id
                    ) AS scored
                ) AS ranked WHERE rank <= \(depth)
            ),
            ranked AS (
                SELECT coalesce(v.kind, l.kind) AS kind, coalesce(v.id, l.id) AS id,
                       v.rank AS vector_rank, v.score AS vector_score, l.rank AS lexical_rank, l.score AS lexical_score
                FROM vec v FULL JOIN lex l ON l.kind = v.kind AND l.id = v.id
            )
            SELECT r.kind, r.id, p.text, p.at, p.name, p.message_ids, p.reinforcement_count,
                   r.vector_rank, r.vector_score, r.lexical_rank, r.lexical_score
            FROM ranked r JOIN pool p ON p.kind = r.kind AND p.id = r.id
            """
        var found: [Candidate] = []
        for try await row in try await client.query(query, logger: logger) {
            let columns = row.makeRandomAccess()
            func signal(_ rank: Int, _ score: Int) throws -> Signal? {
                guard let rank = try columns[rank].decode(Int?.self) else { return nil }
                return Signal(rank: rank, score: try columns[score].decode(Double.self))
            }
            found.append(Candidate(
                kind: Kind(rawValue: try columns[0].decode(String.self)) ?? .memory, id: try columns[1].decode(String.self),
                text: try columns[2].decode(String.self), time: try columns[3].decode(Date.self),
                name: try columns[4].decode(String?.self), messageIDs: try columns[5].decode([String].self),
                reinforcementCount: try columns[6].decode(Int.self), vector: try signal(7, 8), lexical: try signal(9, 10)))
        }
        return found
    }
}
