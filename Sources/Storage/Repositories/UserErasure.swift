public import Contracts
public import Logging
public import PostgresNIO

/// Forgets one user of one tenant entirely (`DELETE /v1/users/{user_id}`): memory items,
/// messages and their vectors in every space, history, reminders, categories and pending
/// summary refreshes, documents stored for the user (`metadata.user_id`) with their
/// vectors, and the user's jobs, in one transaction that also queues `user.erased`.
/// The embedding cache is outside PostgreSQL: `clearCache` is handed every text embedded
/// for the user and the spaces they may be cached under, and returns how many entries
/// it removed.
public struct UserErasure: Sendable {
    public typealias CacheClearer = @Sendable (_ texts: [String], _ spaces: [String]) async throws -> Int

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func erase(
        tenantID: String, userID: String, requestID: String, logger: Logger, clearCache: CacheClearer
    ) async throws -> UserErased.Removed {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.lockUser(tenantID: tenantID, userID: userID, logger: logger)
            var removed = UserErased.Removed()
            var texts: [String] = []
            for try await text in try await connection.query("""
                SELECT text FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID)
                UNION ALL
                SELECT \(unescaped: MessageRepository.embeddedTextSQL("g")) FROM memory_messages g
                WHERE g.tenant_id = \(tenantID) AND g.user_id = \(userID)
                UNION ALL
                SELECT text FROM documents WHERE tenant_id = \(tenantID) AND metadata->>'user_id' = \(userID)
                """, logger: logger).decode(String.self)
            {
                texts.append(text)
            }
            func count(_ query: PostgresQuery) async throws -> Int {
                for try await value in try await connection.query(query, logger: logger).decode(Int.self) { return value }
                return 0
            }
            removed.vectors = try await count("""
                WITH targets AS (
                    SELECT 'memory_item' AS kind, id FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID)
                    UNION ALL SELECT 'message', id FROM memory_messages WHERE tenant_id = \(tenantID) AND user_id = \(userID)
                    UNION ALL SELECT 'document', external_id FROM documents
                              WHERE tenant_id = \(tenantID) AND metadata->>'user_id' = \(userID)
                ), gone AS (
                    DELETE FROM embeddings e USING embedding_spaces s, targets t
                    WHERE e.space_id = s.id AND e.tenant_id = \(tenantID) AND e.target_kind = t.kind AND e.target_id = t.id
                    RETURNING 1
                ) SELECT count(*)::int FROM gone
                """)
            removed.memories = try await count(
                "WITH gone AS (DELETE FROM memory_items WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            removed.messages = try await count(
                "WITH gone AS (DELETE FROM memory_messages WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            removed.history = try await count(
                "WITH gone AS (DELETE FROM memory_item_history WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            removed.reminders = try await count(
                "WITH gone AS (DELETE FROM reminders WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            removed.categories = try await count(
                "WITH gone AS (DELETE FROM memory_categories WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            try await connection.query(
                "DELETE FROM summary_refreshes WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM consolidation_marks WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM large_users WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            // The extractor's answers quote the memories.
            try await connection.query(
                "DELETE FROM job_extractions WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            removed.documents = try await count("""
                WITH gone AS (DELETE FROM documents WHERE tenant_id = \(tenantID) AND metadata->>'user_id' = \(userID) RETURNING 1)
                SELECT count(*)::int FROM gone
                """)
            // Child jobs (embed jobs of a memorize) go with their parent (ON DELETE CASCADE).
            removed.jobs = try await count(
                "WITH gone AS (DELETE FROM jobs WHERE tenant_id = \(tenantID) AND user_id = \(userID) RETURNING 1) SELECT count(*)::int FROM gone")
            var spaces: [String] = []
            for try await id in try await connection.query("SELECT id FROM embedding_spaces ORDER BY id", logger: logger).decode(String.self) {
                spaces.append(id)
            }
            removed.cacheEntries = try await clearCache(Array(Set(texts)).sorted(), spaces)
            try await EventOutbox.add(
                [EventEnvelope(
                    id: "\(requestID):user.erased", type: UserErased.type, tenantID: tenantID,
                    payload: UserErased(userID: userID, removed: removed))],
                on: connection, logger: logger)
            return removed
        }
    }
}
