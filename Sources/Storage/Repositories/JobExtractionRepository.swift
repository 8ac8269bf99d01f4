public import Foundation
public import Logging
public import PostgresNIO

/// Extractors' answers per memorize job (migration v10): the first answer stored for a
/// job is the one every delivery of it uses. Kept for `retention`, and removed with the
/// user (`UserErasure`).
public struct JobExtractionRepository: Sendable {
    public struct Extraction: Sendable, Equatable {
        public var extractor: String
        /// The memories as JSON, in the worker's own encoding.
        public var memories: String

        public init(extractor: String, memories: String) {
            self.extractor = extractor
            self.memories = memories
        }
    }

    /// Long enough for any redelivery or retry of a job.
    public static let retention: TimeInterval = 7 * 86_400

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func get(tenantID: String, jobID: String, logger: Logger) async throws -> Extraction? {
        let rows = try await client.query(
            "SELECT extractor, memories::text FROM job_extractions WHERE tenant_id = \(tenantID) AND job_id = \(jobID)",
            logger: logger)
        for try await (extractor, memories) in rows.decode((String, String).self) {
            return Extraction(extractor: extractor, memories: memories)
        }
        return nil
    }

    /// Stores `extraction` unless the job has one already, and returns the stored one:
    /// two deliveries racing both go on with the same answer. Drops the tenant's answers
    /// older than `retention` on the way.
    public func keep(
        _ extraction: Extraction, tenantID: String, jobID: String, userID: String, logger: Logger
    ) async throws -> Extraction {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("""
                DELETE FROM job_extractions
                WHERE tenant_id = \(tenantID) AND created_at < now() - \(Self.retention) * interval '1 second'
                """, logger: logger)
            let rows = try await connection.query("""
                INSERT INTO job_extractions (tenant_id, job_id, user_id, extractor, memories)
                VALUES (\(tenantID), \(jobID), \(userID), \(extraction.extractor), \(extraction.memories)::jsonb)
                ON CONFLICT (tenant_id, job_id) DO UPDATE SET tenant_id = job_extractions.tenant_id
                RETURNING extractor, memories::text
                """, logger: logger)
            for try await (extractor, memories) in rows.decode((String, String).self) {
                return Extraction(extractor: extractor, memories: memories)
            }
            return extraction
        }
    }
}
