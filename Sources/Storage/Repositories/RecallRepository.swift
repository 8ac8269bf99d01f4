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
        /// Where a large user's search by words gets the common terms; nil: read each time.
        public var commonTerms: CommonTermsCache?

        public init(
            tenantID: String, userID: String, filter: MemoryRepository.Filter, kinds: Set<Kind>, spaceID: String, vector: [Float]?,
            text: String, depth: Int, commonTerms: CommonTermsCache? = nil
        ) {
            self.tenantID = tenantID
            self.userID = userID
            self.filter = filter
            self.kinds = kinds
            self.spaceID = spaceID
            self.vector = vector
            self.text = text
            self.depth = depth
            self.commonTerms = commonTerms
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

    /// Scans the user's rows exactly, unless the user is large (`LargeUserRepository`):
    /// then the pool is the nearest `depth` (at most `largeUserNearest`) of each kind in
    /// the space's user index (half-precision HNSW at `largeUserEfSearch`, filters applied
    /// while it scans, re-ranked by exact cosine) and at most
    /// `lexicalMatches` rows of each kind matching the query's terms but the common ones
    /// (`CommonTerms`; none when every term is common); BM25 counts the collection from
    /// the user's stored row counts.
    public func candidates(_ request: Request, logger: Logger) async throws -> [Candidate] {
        // Most users are small: the check and the exact scan share one connection.
        let exact: [Candidate]? = try await client.withConnection { connection in
            guard try await !LargeUserRepository.isLarge(
                tenantID: request.tenantID, userID: request.userID, on: connection, logger: logger)
            else { return nil }
            return try await Self.decode(connection.query(Self.query(request, common: nil), logger: logger))
        }
        if let exact { return exact }
        let common = if let cache = request.commonTerms {
            try await cache.terms(.memory, client: client, logger: logger)
        } else {
            try await CommonTerms.load(.memory, client: client, logger: logger)
        }
        let query = Self.query(request, common: common)
        guard request.vector != nil else { return try await Self.decode(client.query(query, logger: logger)) }
        return try await client.withTransaction(logger: logger) { connection in
            // With iterative scans, a breadth below the rows wanted searches on past it.
            try await connection.query("""
                SELECT set_config('hnsw.ef_search', \(String(Self.largeUserEfSearch)), true),
                       set_config('hnsw.iterative_scan', 'relaxed_order', true)
                """, logger: logger)
            return try await Self.decode(connection.query(query, logger: logger))
        }
    }

    /// Candidates a retrieve takes from each signal by default (the gateway's `Retriever`).
    public static let defaultDepth = 100

    /// The user index's search breadth (docs/benchmarks.md, "Large users").
    static let largeUserEfSearch = 20

    /// At most this many nearest of each kind are taken from the user index for a large
    /// user, whatever the depth asked: the graph's cost grows with it.
    static let largeUserNearest = 50

    /// At most this many rows of each kind are ranked by words for a large user.
    static let lexicalMatches = 100

    /// The exact scan, or with the common terms, a large user's search.
    static func query(_ request: Request, common: [String: Double]?) -> PostgresQuery {
        let large = common != nil
        let filter = request.filter
        // Messages have no type, category or metadata: such a filter leaves them out.
        let messagesWanted = request.kinds.contains(.message) && filter.types.isEmpty && filter.categories.isEmpty
            && filter.metadata.isEmpty
        var query = PostgresQuery(unsafeSQL: "")
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            query.binds.append(value)
            return "$\(query.binds.count)"
        }
        let (tenant, user, space) = (bind(request.tenantID), bind(request.userID), bind(request.spaceID))
        let (itemsWanted, messagesOn, depth) = (bind(request.kinds.contains(.memory)), bind(messagesWanted), bind(request.depth))
        let dimensions = request.vector.map { "(\($0.count))" } ?? ""
        let vector = request.vector.map { bind(EmbeddingRepository.literal($0)) } ?? "NULL"
        func messageFilter(_ table: String) {
            if let agentID = filter.agentID { query.sql += " AND (\(table).agent_id IS NULL OR \(table).agent_id = \(bind(agentID)))" }
            if let since = filter.since { query.sql += " AND \(table).sent_at >= \(bind(since))" }
            if let until = filter.until { query.sql += " AND \(table).sent_at < \(bind(until))" }
            if let asOf = filter.asOf { query.sql += " AND \(table).sent_at <= \(bind(asOf))" }
        }
        // The query vector is parsed once here: a cast of the parameter inside the scan
        // would parse its text again for every row (it was most of a search's time).
        // Query terms are OR-ed: a question shares only some words with its answer.
        query.sql = """
            WITH asked AS MATERIALIZED (SELECT \(vector)::vector\(dimensions) AS v),
            terms AS (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', memgrid_search_text(\(bind(request.text)))))) AS term),
            \(common.map { terms in CommonTerms.kept(terms) { bind($0) } } ?? "kept AS (SELECT term FROM terms)"),
            tsq AS (SELECT \(CommonTerms.disjunction) AS q, array_agg(term) AS list FROM kept),
            """
        if large {
            // The nearest through the user index (with their vectors), the matches by
            // words, per kind; none by words when every term is common
            // (`CommonTerms.selective`): then they only rank the nearest.
            let selective = CommonTerms.selective
            let half = "::halfvec\(dimensions)"
            let nearest = "ORDER BY e.embedding\(half) <=> (SELECT v\(half) FROM asked) LIMIT least(\(depth), \(Self.largeUserNearest))"
            let indexed = "e.space_id = \(space) AND e.tenant_id = \(tenant) AND e.large_user_id = \(user)"
            query.sql += """

                found AS (
                    (SELECT 'memory' AS kind, m.id, e.embedding FROM embeddings e JOIN memory_items m ON m.id = e.target_id
                     WHERE \(itemsWanted) AND (SELECT v FROM asked) IS NOT NULL AND \(indexed) AND e.target_kind = 'memory_item'
                       AND m.tenant_id = \(tenant)
                """
            MemoryRepository.append(filter, to: &query, table: "m")
            query.sql += """
                 \(nearest))
                    UNION ALL
                    (SELECT 'memory', m.id, NULL::vector FROM memory_items m CROSS JOIN tsq
                     WHERE \(itemsWanted) AND m.tenant_id = \(tenant) AND m.user_id = \(user) AND \(selective)
                       AND m.lexemes @@ tsq.q
                """
            MemoryRepository.append(filter, to: &query, table: "m")
            query.sql += """
                 LIMIT \(Self.lexicalMatches))
                    UNION ALL
                    (SELECT 'message', g.id, e.embedding FROM embeddings e JOIN memory_messages g ON g.id = e.target_id
                     WHERE \(messagesOn) AND (SELECT v FROM asked) IS NOT NULL AND \(indexed) AND e.target_kind = 'message'
                       AND g.tenant_id = \(tenant)
                """
            messageFilter("g")
            query.sql += """
                 \(nearest))
                    UNION ALL
                    (SELECT 'message', g.id, NULL::vector FROM memory_messages g CROSS JOIN tsq
                     WHERE \(messagesOn) AND g.tenant_id = \(tenant) AND g.user_id = \(user) AND \(selective)
                       AND g.lexemes @@ tsq.q
                """
            messageFilter("g")
            query.sql += """
                 LIMIT \(Self.lexicalMatches))
                ),
                picked AS (SELECT DISTINCT ON (kind, id) kind, id, embedding FROM found ORDER BY kind, id, embedding IS NULL),
                """
        }
        /// Where a pooled row's vector comes from: what the search picked (a row found only
        /// by words has none), or, scanning exactly, one primary-key probe per row whatever
        /// the statistics say (LIMIT keeps the subquery from being flattened into a join):
        /// just after a bulk write they are stale, and the planner scanned every vector of
        /// the space per row instead (LoCoMo retrieve p50 14 → 150 ms).
        func vectors(_ kind: String, _ targetKind: String, _ table: String) -> String {
            if large { return "JOIN picked e ON e.kind = '\(kind)' AND e.id = \(table).id" }
            return """
                LEFT JOIN LATERAL (
                    SELECT embedding FROM embeddings WHERE space_id = \(space) AND tenant_id = \(tenant)
                                                       AND target_kind = '\(targetKind)' AND target_id = \(table).id LIMIT 1
                ) e ON true
                """
        }
        query.sql += """

            pool AS MATERIALIZED (
                SELECT 'memory' AS kind, m.id, m.text, coalesce(m.happened_at, m.created_at) AS at, NULL::text AS name,
                       m.message_ids, m.reinforcement_count, m.lexemes, e.embedding
                FROM memory_items m \(vectors("memory", "memory_item", "m"))
                WHERE \(itemsWanted) AND m.tenant_id = \(tenant) AND m.user_id = \(user)
            """
        MemoryRepository.append(filter, to: &query, table: "m")
        query.sql += """

                UNION ALL
                SELECT 'message', g.id, g.content, g.sent_at, g.name, ARRAY[g.message_id], 1, g.lexemes, e.embedding
                FROM memory_messages g \(vectors("message", "message", "g"))
                WHERE \(messagesOn) AND g.tenant_id = \(tenant) AND g.user_id = \(user)
            """
        messageFilter("g")
        // BM25 (k1 1.2, b 0.75) with each kind's rows as the collection; a term's document
        // frequency is exact because every row holding a query term is matched (for a
        // large user: up to `lexicalMatches`, and the collection's size and mean length are
        // the stored ones).
        query.sql += """

            ),
            vec AS (
                SELECT kind, id, 1 - distance AS score, rank FROM (
                    SELECT kind, id, distance, row_number() OVER (PARTITION BY kind ORDER BY distance, id) AS rank
                    FROM (SELECT kind, id, embedding <=> asked.v AS distance FROM pool CROSS JOIN asked WHERE embedding IS NOT NULL AND asked.v IS NOT NULL) AS scored
                ) AS ranked WHERE rank <= \(depth)
            ),
            sizes AS (SELECT * FROM large_users WHERE tenant_id = \(tenant) AND user_id = \(user)),
            stats AS (
                SELECT kind,
                       greatest(count(*), coalesce((SELECT CASE kind WHEN 'memory' THEN items ELSE messages END FROM sizes), 0))::float8 AS n,
                       greatest(coalesce((SELECT CASE kind WHEN 'memory' THEN item_length ELSE message_length END FROM sizes),
                                         avg(length(lexemes))), 1)::float8 AS avgdl
                FROM pool GROUP BY kind
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
        return query
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Candidate] {
        var found: [Candidate] = []
        for try await row in rows {
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
