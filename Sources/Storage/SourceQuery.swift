public import Logging
public import PostgresNIO

/// An operator's query that a backfill reads (`memgrid backfill --sql`): its rows counted
/// and streamed, with the columns `id` and `text` and, if present, `user_id` and
/// `metadata`. The query is the operator's own SQL, run as they wrote it.
public struct SourceQuery: Sendable {
    /// One row; a column the query does not return, or a null, is nil.
    public struct Row: Sendable {
        public var id: String?
        public var text: String?
        public var userID: String?
        /// The `metadata` column as JSON text.
        public var metadata: String?
    }

    public let client: PostgresClient
    public let sql: String

    /// - Parameter client: a running client for the database the query reads.
    public init(client: PostgresClient, sql: String) {
        self.client = client
        self.sql = sql
    }

    public func count(logger: Logger) async throws -> Int? {
        for try await count in try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM (\(sql)) AS src"), logger: logger)
            .decode(Int.self)
        {
            return count
        }
        return nil
    }

    /// The rows ordered by id, so every run reads them in the same order; the driver
    /// reads ahead a bounded number of rows.
    public func rows(logger: Logger, _ body: (Row) async throws -> Void) async throws {
        // to_jsonb(src) reads the optional columns without failing when they are absent.
        let query = """
            SELECT src.id::text, src.text::text, to_jsonb(src) ->> 'user_id', (to_jsonb(src) -> 'metadata')::text
            FROM (\(sql)) AS src ORDER BY 1
            """
        for try await (id, text, userID, metadata) in try await client.query(PostgresQuery(unsafeSQL: query), logger: logger)
            .decode((String?, String?, String?, String?).self)
        {
            try await body(Row(id: id, text: text, userID: userID, metadata: metadata))
        }
    }
}
