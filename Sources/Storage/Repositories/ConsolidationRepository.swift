import Contracts
public import Foundation
public import Logging
public import PostgresNIO

/// Maintenance of memory items: merging a user's near-duplicates and expiring types with
/// a time to live.
///
/// Merging works on the vectors of the active embedding space (the one searches use).
/// Two items are duplicates when they share tenant, user, agent and type and their
/// cosine similarity is at least the threshold; duplicates are grouped transitively
/// (connected components) and each group collapses into its oldest item.
public struct ConsolidationRepository: Sendable {
    /// What one consolidation did.
    public struct Outcome: Sendable, Equatable {
        /// Groups collapsed (one surviving item each).
        public var groups: Int
        /// Items merged into a survivor and deleted.
        public var merged: Int
        /// Items whose vectors were new since the last run, compared with all the others.
        public var examined: Int

        public init(groups: Int = 0, merged: Int = 0, examined: Int = 0) {
            self.groups = groups
            self.merged = merged
            self.examined = examined
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The users who were given memories in `[from, to)`: the ones a consolidation run
    /// for that slot looks at, in a stable order.
    public func usersWithNewItems(from: Date, to: Date, logger: Logger) async throws -> [(tenantID: String, userID: String)] {
        let rows = try await client.query("""
            SELECT DISTINCT tenant_id, user_id FROM memory_items
            WHERE created_at >= \(from) AND created_at < \(to)
            ORDER BY tenant_id, user_id
            """, logger: logger)
        var users: [(tenantID: String, userID: String)] = []
        for try await (tenant, user) in rows.decode((String, String).self) { users.append((tenant, user)) }
        return users
    }

    /// Embedding writers stamp `updated_at` when their transaction starts and may commit
    /// after a run has read: vectors written this close before a run's mark count as new
    /// again on the next run, which compares them once more rather than never.
    static let writeSkew: TimeInterval = 120

    /// Where the last run for the user and space got to.
    private func mark(
        tenantID: String, userID: String, spaceID: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (through: Date, threshold: Double)? {
        for try await mark in try await connection.query("""
            SELECT compared_through, threshold FROM consolidation_marks
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND space_id = \(spaceID)
            """, logger: logger).decode((Date, Double).self)
        {
            return mark
        }
        return nil
    }

    /// Merges the user's near-duplicate items in one transaction: each group's oldest
    /// item (by `created_at`, then id) keeps its text and vector, gets the sum of the
    /// reinforcement counts and the union of the categories; sources, reminders and
    /// category-summary references move to it (reminders of one event collapse to one);
    /// the others and their vectors (in every space) are deleted. Items without a vector in
    /// `spaceID` are left alone. Running it again finds nothing to merge. Concurrent runs
    /// for one user are serialized.
    ///
    /// Only vectors written since the user's last run in the space are compared, each with
    /// all of the user's others (a pass costs new × all, not all²); pairs of older ones were
    /// compared then. A looser threshold than the last run's compares everything again.
    public func consolidate(
        tenantID: String, userID: String, spaceID: String, threshold: Double, jobID: String? = nil, logger: Logger
    ) async throws -> Outcome {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.lockUser(tenantID: tenantID, userID: userID, logger: logger)
            let mark = try await mark(tenantID: tenantID, userID: userID, spaceID: spaceID, on: connection, logger: logger)
            // A looser threshold than the last run's can pair vectors compared before: all are fresh.
            let freshAfter = mark.flatMap { threshold >= $0.threshold ? $0.through.addingTimeInterval(-Self.writeSkew) : nil }
                ?? .distantPast
            // Each fresh vector against all of the user's others in the space, every pair once
            // (a pair of two fresh ones from the lower id). Compared as a distance: a zero
            // vector's NaN distance sorts above every number in PostgreSQL, so it never passes.
            // The lateral LIMIT keeps one primary-key lookup per item even when the planner has
            // no statistics for a new tenant yet (else it may scan the tenant's vectors per item).
            let pairRows = try await connection.query("""
                WITH mine AS MATERIALIZED (
                    SELECT m.id, m.type, m.agent_id, e.embedding, e.updated_at > \(freshAfter) AS fresh
                    FROM memory_items m
                    CROSS JOIN LATERAL (
                        SELECT embedding, updated_at FROM embeddings
                        WHERE space_id = \(spaceID) AND tenant_id = \(tenantID) AND target_kind = 'memory_item' AND target_id = m.id
                        LIMIT 1
                    ) e
                    WHERE m.tenant_id = \(tenantID) AND m.user_id = \(userID) AND m.valid_until IS NULL
                ), fresh AS MATERIALIZED (SELECT * FROM mine WHERE fresh)
                SELECT NULL, NULL, count(*)::int FROM fresh
                UNION ALL
                SELECT f.id, o.id, 0
                FROM fresh f
                JOIN mine o ON o.type = f.type AND o.agent_id IS NOT DISTINCT FROM f.agent_id AND o.id <> f.id
                     AND (NOT o.fresh OR o.id > f.id)
                WHERE (f.embedding <=> o.embedding) <= 1 - \(threshold)::float8
                """, logger: logger)
            var pairs: [(String, String)] = []
            var examined = 0
            for try await (a, b, fresh) in pairRows.decode((String?, String?, Int).self) {
                if let a, let b { pairs.append((a, b)) } else { examined = fresh }
            }
            try await connection.query("""
                INSERT INTO consolidation_marks (tenant_id, user_id, space_id, compared_through, threshold)
                VALUES (\(tenantID), \(userID), \(spaceID), now(), \(threshold))
                ON CONFLICT (tenant_id, user_id, space_id)
                DO UPDATE SET compared_through = EXCLUDED.compared_through, threshold = EXCLUDED.threshold
                """, logger: logger)
            guard !pairs.isEmpty else { return Outcome(examined: examined) }

            // Lock the members, then group what is still there.
            let candidates = Array(Set(pairs.flatMap { [$0.0, $0.1] })).sorted()
            let memberRows = try await connection.query("""
                SELECT id, reinforcement_count, categories, happened_at, created_at FROM memory_items
                WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND id = ANY(\(candidates))
                ORDER BY id FOR UPDATE
                """, logger: logger)
            var members: [String: Member] = [:]
            for try await (id, count, categories, happenedAt, createdAt)
                in memberRows.decode((String, Int, [String], Date?, Date).self)
            {
                members[id] = Member(id: id, count: count, categories: categories, happenedAt: happenedAt, createdAt: createdAt)
            }
            let groups = Self.groups(pairs.filter { members[$0.0] != nil && members[$0.1] != nil })
            let merges = groups.map { ids in Merge(ids.compactMap { members[$0] }) }
            guard !merges.isEmpty else { return Outcome(examined: examined) }
            try await apply(
                merges, tenantID: tenantID, userID: userID, origin: MemoryRepository.Origin(jobID: jobID, requestID: nil),
                on: connection, logger: logger)
            return Outcome(groups: merges.count, merged: merges.reduce(0) { $0 + $1.merged.count }, examined: examined)
        }
    }

    /// Deletes items of `type` whose newest time (`greatest(happened_at, updated_at)`) is
    /// before `cutoff`, with their vectors in every space, up to `limit` per call; drops
    /// them from category-summary references. Returns how many it deleted. Rows locked by
    /// another transaction are skipped (taken next time).
    public func expire(type: String, before cutoff: Date, limit: Int, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let gone = try await MemoryRepository.items(on: connection, """
                DELETE FROM memory_items
                WHERE id IN (
                    SELECT id FROM memory_items
                    WHERE type = \(type) AND greatest(happened_at, updated_at) < \(cutoff)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED
                )
                RETURNING \(unescaped: MemoryRepository.columns)
                """, logger: logger)
            guard !gone.isEmpty else { return 0 }
            try await MemoryRepository.forget(
                gone, reason: .expired, origin: MemoryRepository.Origin(jobID: nil, requestID: nil), on: connection, logger: logger)
            let (ids, tenants, users) = (gone.map(\.id), gone.map(\.tenantID), gone.map(\.userID))
            try await connection.query("""
                WITH gone AS (SELECT * FROM unnest(\(ids), \(tenants), \(users)) AS g(id, tenant_id, user_id))
                UPDATE memory_categories c
                SET summary_item_ids = ARRAY(
                    SELECT x FROM unnest(c.summary_item_ids) WITH ORDINALITY AS u(x, n)
                    WHERE x NOT IN (SELECT id FROM gone) ORDER BY n)
                FROM (SELECT DISTINCT tenant_id, user_id FROM gone) touched
                WHERE c.tenant_id = touched.tenant_id AND c.user_id = touched.user_id
                  AND c.summary_item_ids && \(ids)
                """, logger: logger)
            return gone.count
        }
    }

    // MARK: - Merging

    struct Member: Sendable {
        var id: String
        var count: Int
        var categories: [String]
        var happenedAt: Date?
        var createdAt: Date
    }

    /// One group: the survivor and what it absorbs.
    struct Merge: Sendable {
        var survivor: Member
        var merged: [Member]

        init(_ members: [Member]) {
            let ordered = members.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            survivor = ordered[0]
            merged = Array(ordered.dropFirst())
        }

        var count: Int { merged.reduce(survivor.count) { $0 + $1.count } }
        var categories: [String] { Array(Set(merged.flatMap(\.categories) + survivor.categories)).sorted() }
        /// The survivor's, else the oldest merged item's that has one.
        var happenedAt: Date? { survivor.happenedAt ?? merged.lazy.compactMap(\.happenedAt).first }
    }

    /// Connected components of the pair graph (union-find), each sorted, groups by their
    /// first id; only groups of two or more.
    package static func groups(_ pairs: [(String, String)]) -> [[String]] {
        var parent: [String: String] = [:]
        func root(_ id: String) -> String {
            var node = id
            while let next = parent[node], next != node { node = next }
            var walk = id
            while let next = parent[walk], next != node {
                parent[walk] = node
                walk = next
            }
            return node
        }
        for (a, b) in pairs {
            if parent[a] == nil { parent[a] = a }
            if parent[b] == nil { parent[b] = b }
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        var components: [String: [String]] = [:]
        for id in parent.keys { components[root(id), default: []].append(id) }
        return components.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    private func apply(
        _ merges: [Merge], tenantID: String, userID: String, origin: MemoryRepository.Origin, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let old = merges.flatMap { $0.merged.map(\.id) }
        let new = merges.flatMap { merge in merge.merged.map { _ in merge.survivor.id } }
        try await connection.query("""
            UPDATE memory_items m
            SET reinforcement_count = u.count, categories = u.categories::text[],
                happened_at = nullif(u.happened, '')::timestamptz, updated_at = now()
            FROM unnest(\(merges.map(\.survivor.id)), \(merges.map(\.count)), \(merges.map { MemoryRepository.arrayLiteral($0.categories) }),
                        \(merges.map { $0.happenedAt.map(MemoryRepository.timestampText) ?? "" })) AS u(id, count, categories, happened)
            WHERE m.id = u.id AND m.tenant_id = \(tenantID)
            """, logger: logger)
        try await connection.query("""
            INSERT INTO memory_item_sources (item_id, job_id, created_at)
            SELECT map.new_id, s.job_id, s.created_at
            FROM memory_item_sources s JOIN unnest(\(old), \(new)) AS map(old_id, new_id) ON s.item_id = map.old_id
            ON CONFLICT DO NOTHING
            """, logger: logger)
        // The survivor stands on every message its duplicates were read from.
        try await connection.query("""
            UPDATE memory_items m
            SET message_ids = ARRAY(SELECT DISTINCT unnest(m.message_ids || merged.ids) ORDER BY 1)
            FROM (
                SELECT map.new_id, array_agg(DISTINCT source) AS ids
                FROM unnest(\(old), \(new)) AS map(old_id, new_id)
                JOIN memory_items o ON o.id = map.old_id AND o.tenant_id = \(tenantID)
                CROSS JOIN LATERAL unnest(o.message_ids) AS source
                GROUP BY map.new_id
            ) AS merged
            WHERE m.id = merged.new_id AND m.tenant_id = \(tenantID)
            """, logger: logger)
        try await connection.query("""
            UPDATE reminders r SET memory_id = map.new_id, updated_at = now()
            FROM unnest(\(old), \(new)) AS map(old_id, new_id)
            WHERE r.memory_id = map.old_id AND r.tenant_id = \(tenantID)
            """, logger: logger)
        // The duplicates were one event: the user is reminded of it once. Per survivor and
        // event time, one reminder stays (a fired one if any, else the oldest); the other
        // scheduled ones are cancelled, naming it.
        try await connection.query("""
            UPDATE reminders r
            SET state = 'cancelled', last_error = 'duplicate of ' || d.keep_id, updated_at = now()
            FROM (
                SELECT id, state, first_value(id) OVER (
                    PARTITION BY memory_id, event_at ORDER BY state IN ('fired', 'firing') DESC, created_at, id) AS keep_id
                FROM reminders
                WHERE tenant_id = \(tenantID) AND memory_id = ANY(\(merges.map(\.survivor.id)))
                  AND event_at IS NOT NULL AND state IN ('scheduled', 'firing', 'fired')
            ) d
            WHERE r.id = d.id AND d.id <> d.keep_id AND d.state = 'scheduled'
            """, logger: logger)
        // Each merged id becomes its survivor's, keeping the first place either held.
        try await connection.query("""
            UPDATE memory_categories c
            SET summary_item_ids = ARRAY(
                SELECT id FROM (
                    SELECT coalesce(map.new_id, u.id) AS id, min(u.n) AS n
                    FROM unnest(c.summary_item_ids) WITH ORDINALITY AS u(id, n)
                    LEFT JOIN unnest(\(old), \(new)) AS map(old_id, new_id) ON map.old_id = u.id
                    GROUP BY 1
                ) ids ORDER BY n)
            WHERE c.tenant_id = \(tenantID) AND c.user_id = \(userID) AND c.summary_item_ids && \(old)
            """, logger: logger)
        let gone = try await MemoryRepository.items(on: connection, """
            DELETE FROM memory_items WHERE tenant_id = \(tenantID) AND id = ANY(\(old)) RETURNING \(unescaped: MemoryRepository.columns)
            """, logger: logger)
        try await MemoryRepository.forget(
            gone, reason: .consolidated, mergedInto: Dictionary(zip(old, new), uniquingKeysWith: { first, _ in first }), origin: origin,
            on: connection, logger: logger)
    }
}
