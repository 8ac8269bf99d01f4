import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("A space's document index against the real PostgreSQL")
struct EmbeddingSpaceIndexTests {
    /// Two embedding workers starting together on a fresh database both build their
    /// space's index: the second of two concurrent `CREATE INDEX IF NOT EXISTS` used to
    /// fail with a unique violation on pg_class and crash its worker (`make chaos-cluster`).
    @Test func twoWorkersBuildingTheSameIndexAtOnceBothSucceed() async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        defer { Task { await database.drop() } }
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            let spaces = EmbeddingSpaceRepository(client: client)
            for round in 0..<12 {
                let space = "race-\(round)"
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask { try await spaces.buildIndex(spaceID: space, dimensions: 3, logger: logger) }
                    }
                    try await group.waitForAll()
                }
            }
            var built = 0
            for try await count in try await client.query(
                "SELECT count(*)::int FROM pg_indexes WHERE indexname LIKE 'embeddings_hnsw_%'", logger: logger
            ).decode(Int.self) { built = count }
            #expect(built == 12)
        }
    }
}
