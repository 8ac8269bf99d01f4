import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("Job results against the real PostgreSQL")
struct JobResultTests {
    /// A succeeded embed job delivered again finds its vectors in the cache: its result
    /// must stay what the first run did (`BackfillTests` once saw a backfill's first run
    /// report cached vectors).
    @Test func aSucceededJobKeepsItsFirstResult() async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        defer { Task { await database.drop() } }
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            try await client.query("INSERT INTO tenants (id, name) VALUES ('t', 't')", logger: logger)
            let jobs = JobRepository(client: client)
            try await jobs.insert(id: "j1", tenantID: "t", type: "embed.v1", logger: logger)
            try await jobs.markRunning(id: "j1", attempt: 1, logger: logger)
            try await jobs.recordResult(id: "j1", resultJSON: #"{"count":3,"cached":0}"#, logger: logger)
            try await jobs.markSucceeded(id: "j1", logger: logger)
            try await jobs.markRunning(id: "j1", attempt: 1, logger: logger)
            try await jobs.recordResult(id: "j1", resultJSON: #"{"count":3,"cached":3}"#, logger: logger)
            try await client.withTransaction(logger: logger) { connection in
                try await JobRepository.recordResult(id: "j1", resultJSON: #"{"count":3,"cached":3}"#, on: connection, logger: logger)
            }
            var cached: [Int] = []
            for try await value in try await client.query(
                "SELECT (result ->> 'cached')::int FROM jobs WHERE id = 'j1' AND status = 'succeeded'", logger: logger
            ).decode(Int.self) { cached.append(value) }
            #expect(cached == [0])
        }
    }
}
