public import Foundation
public import Logging
public import PostgresNIO

/// Backfill checkpoints (migration v6). A chunk's outcome is read from its embed job's
/// `jobs` row, which the embedding workers keep current whether or not the backfill's
/// runner is still alive.
public struct BackfillRepository: Sendable {
    /// What a backfill is: checked against the stored row on every re-run.
    public struct Definition: Sendable, Equatable {
        public var tenantID: String
        public var id: String
        public var source: String
        public var fingerprint: String
        public var chunkSize: Int

        public init(tenantID: String, id: String, source: String, fingerprint: String, chunkSize: Int) {
            self.tenantID = tenantID
            self.id = id
            self.source = source
            self.fingerprint = fingerprint
            self.chunkSize = chunkSize
        }
    }

    /// A chunk recorded by an earlier run (or this one).
    public struct Chunk: Sendable, Equatable {
        public var index: Int
        public var jobID: String
        public var items: Int
        public var contentHash: String
        public var published: Bool
        /// The job's status (`queued`, `running`, `failed` = retrying, `succeeded`, `dead_lettered`).
        public var status: String
    }

    /// A finished chunk job.
    public struct Finished: Sendable, Equatable {
        public var jobID: String
        public var deadLettered: Bool
        /// Vectors that came from the embedding cache (0 for dead-lettered jobs).
        public var cached: Int
    }

    /// Progress as the status page and the final summary show it.
    public struct Progress: Sendable, Equatable {
        public var definition: Definition
        /// `publishing`, `published` (all chunks on the broker) or `completed` (all finished).
        public var state: String
        public var totalItems: Int?
        public var invalidItems: Int
        /// `[{"line": n, "error": "…"}]` as JSON text.
        public var invalidSamplesJSON: String
        public var chunks: Int
        public var doneItems: Int
        public var cachedItems: Int
        public var deadLetteredItems: Int
        /// Published items whose job has not finished yet.
        public var pendingItems: Int
        public var createdAt: Date
        public var updatedAt: Date
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Creates the backfill, or returns false when it exists with the same definition.
    /// Throws `.conflict` when the id is taken by another source or chunk size, and
    /// `.notFound` for an unknown tenant.
    @discardableResult
    public func begin(_ definition: Definition, logger: Logger) async throws -> Bool {
        let created: Bool
        do {
            let rows = try await client.query("""
                INSERT INTO backfills (tenant_id, id, source, fingerprint, chunk_size)
                VALUES (\(definition.tenantID), \(definition.id), \(definition.source), \(definition.fingerprint), \(definition.chunkSize))
                ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id
                """, logger: logger)
            created = try await rows.decode(String.self).first { _ in true } != nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StorageError(.notFound, "tenant '\(definition.tenantID)' does not exist; it is created with its first API key")
        }
        if created { return true }
        let rows = try await client.query("""
            SELECT source, fingerprint, chunk_size FROM backfills WHERE tenant_id = \(definition.tenantID) AND id = \(definition.id)
            """, logger: logger)
        for try await (source, fingerprint, chunkSize) in rows.decode((String, String, Int).self)
        where fingerprint != definition.fingerprint {
            throw StorageError(.conflict, """
                backfill '\(definition.id)' already exists for source \(source) with chunk size \(chunkSize); \
                a re-run must use the same source and chunk size, or another backfill id
                """)
        }
        return false
    }

    /// Every chunk recorded so far, by index.
    public func chunks(tenantID: String, backfillID: String, logger: Logger) async throws -> [Int: Chunk] {
        let rows = try await client.query("""
            SELECT c.chunk, c.job_id, c.items, c.content_hash, c.published_at IS NOT NULL, j.status
            FROM backfill_chunks c JOIN jobs j ON j.id = c.job_id
            WHERE c.tenant_id = \(tenantID) AND c.backfill_id = \(backfillID)
            """, logger: logger)
        var chunks: [Int: Chunk] = [:]
        for try await (index, jobID, items, hash, published, status) in rows.decode((Int, String, Int, String, Bool, String).self) {
            chunks[index] = Chunk(index: index, jobID: jobID, items: items, contentHash: hash, published: published, status: status)
        }
        return chunks
    }

    /// Records a chunk and its queued job before it is published. A chunk recorded before
    /// (a publish the broker never confirmed, or a dead-lettered job being retried) is
    /// reset to queued and unpublished.
    public func prepare(
        tenantID: String, backfillID: String, chunk: Int, jobID: String, jobType: String, items: Int, contentHash: String,
        logger: Logger
    ) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                INSERT INTO jobs (id, tenant_id, type, status) VALUES (\(jobID), \(tenantID), \(jobType), 'queued')
                ON CONFLICT (id) DO UPDATE SET status = 'queued', error = NULL, result = NULL, finished_at = NULL, updated_at = now()
                """, logger: logger)
            try await connection.query("""
                INSERT INTO backfill_chunks (tenant_id, backfill_id, chunk, job_id, items, content_hash)
                VALUES (\(tenantID), \(backfillID), \(chunk), \(jobID), \(items), \(contentHash))
                ON CONFLICT (tenant_id, backfill_id, chunk) DO UPDATE SET published_at = NULL
                """, logger: logger)
        }
    }

    /// The broker confirmed the chunk's job.
    public func markPublished(tenantID: String, backfillID: String, chunk: Int, logger: Logger) async throws {
        try await client.query("""
            UPDATE backfill_chunks SET published_at = now()
            WHERE tenant_id = \(tenantID) AND backfill_id = \(backfillID) AND chunk = \(chunk)
            """, logger: logger)
    }

    /// Which of these jobs have finished (succeeded or dead-lettered).
    public func finished(jobIDs: [String], logger: Logger) async throws -> [Finished] {
        guard !jobIDs.isEmpty else { return [] }
        let rows = try await client.query("""
            SELECT id, status = 'dead_lettered', coalesce((result ->> 'cached')::int, 0) FROM jobs
            WHERE id = ANY(\(jobIDs)) AND status IN ('succeeded', 'dead_lettered')
            """, logger: logger)
        var finished: [Finished] = []
        for try await (id, deadLettered, cached) in rows.decode((String, Bool, Int).self) {
            finished.append(Finished(jobID: id, deadLettered: deadLettered, cached: deadLettered ? 0 : cached))
        }
        return finished
    }

    /// The source was read to its end and every chunk confirmed by the broker.
    public func markPublished(
        tenantID: String, backfillID: String, totalItems: Int, invalidItems: Int, invalidSamplesJSON: String, logger: Logger
    ) async throws {
        try await client.query("""
            UPDATE backfills SET state = 'published', total_items = \(totalItems), invalid_items = \(invalidItems),
                invalid_samples = \(invalidSamplesJSON)::jsonb, updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(backfillID)
            """, logger: logger)
    }

    /// Progress from the checkpoint rows and the chunk jobs; nil for an unknown id (or
    /// another tenant's backfill).
    public func progress(tenantID: String, backfillID: String, logger: Logger) async throws -> Progress? {
        let rows = try await client.query("""
            SELECT b.source, b.fingerprint, b.chunk_size, b.state, b.total_items, b.invalid_items, b.invalid_samples::text,
                   b.created_at, b.updated_at,
                   count(c.chunk)::int,
                   coalesce(sum(c.items) FILTER (WHERE j.status = 'succeeded'), 0)::bigint,
                   coalesce(sum(coalesce((j.result ->> 'cached')::int, 0)) FILTER (WHERE j.status = 'succeeded'), 0)::bigint,
                   coalesce(sum(c.items) FILTER (WHERE j.status = 'dead_lettered'), 0)::bigint,
                   coalesce(sum(c.items) FILTER (WHERE c.published_at IS NOT NULL AND j.status NOT IN ('succeeded', 'dead_lettered')), 0)::bigint
            FROM backfills b
            LEFT JOIN backfill_chunks c ON c.tenant_id = b.tenant_id AND c.backfill_id = b.id
            LEFT JOIN jobs j ON j.id = c.job_id
            WHERE b.tenant_id = \(tenantID) AND b.id = \(backfillID)
            GROUP BY b.tenant_id, b.id
            """, logger: logger)
        for try await row in rows {
            let (source, fingerprint, chunkSize, state, total, invalid, samples, created, updated, chunks, done, cached, deadLettered, pending) =
                try row.decode((String, String, Int, String, Int?, Int, String, Date, Date, Int, Int, Int, Int, Int).self)
            let complete = state == "published" && pending == 0
            return Progress(
                definition: Definition(tenantID: tenantID, id: backfillID, source: source, fingerprint: fingerprint, chunkSize: chunkSize),
                state: complete ? "completed" : state, totalItems: total, invalidItems: invalid, invalidSamplesJSON: samples,
                chunks: chunks, doneItems: done, cachedItems: cached, deadLetteredItems: deadLettered, pendingItems: pending,
                createdAt: created, updatedAt: updated)
        }
        return nil
    }
}
