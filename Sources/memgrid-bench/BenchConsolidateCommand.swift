import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Storage
import WorkerRuntime

/// `memgrid-bench consolidate`: one user with many memories, consolidated after a few new
/// ones arrive. A run compares only vectors written since the user's last run; the
/// baseline is the full pass every run made before (every pair of the user's vectors),
/// measured on the same rows in the same invocation.
struct BenchConsolidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consolidate",
        abstract: "Consolidation of one large user: a run after new memories vs a full pass over all pairs.")

    @Option(help: "Memories the user holds before the new ones.")
    var count = 20_000

    @Option(help: "New memories between the runs (a tenth of them near-duplicates of old ones).")
    var new = 100

    @Option(help: "Dimensions of the vectors.")
    var dimensions = 384

    func run() async throws {
        let scratch = try await ScratchTenant.created(name: "bench-consolidate")
        let logger = scratch.logger
        print("bench-consolidate: one user, \(count) memories then \(new) new, \(dimensions) dimensions (random, unit length)")
        let vectors = BenchIndexCommand.randomUnitVectors(count: count + new, dimensions: dimensions)

        let (first, incremental, full) = try await DatabaseConfiguration.withClient(url: scratch.url, maxConnections: 2, logger: logger) {
            [count, new, dimensions, vectors, logger] client in
            let space = "\(scratch.tenant)/\(dimensions)"
            try await EmbeddingRepository(client: client).register(
                spaceID: space, model: "bench-consolidate", revision: scratch.tenant, dimensions: dimensions, mayActivate: false,
                logger: logger)
            let user = UserMemories(client: client, tenant: scratch.tenant, space: space, dimensions: dimensions, logger: logger)
            try await user.store(vectors[0..<count], from: 0)
            let repository = ConsolidationRepository(client: client)
            func consolidate() async throws -> (Duration, ConsolidationRepository.Outcome) {
                let start = ContinuousClock.now
                let outcome = try await repository.consolidate(
                    tenantID: scratch.tenant, userID: "u", spaceID: space, threshold: 0.95, logger: logger)
                return (ContinuousClock.now - start, outcome)
            }
            let first = try await consolidate()
            try await user.age()
            // A tenth of the new ones repeat an old memory, slightly changed: they merge.
            var arriving = Array(vectors[count..<(count + new)])
            for index in stride(from: 0, to: arriving.count, by: 10) {
                arriving[index] = zip(vectors[index * 7 % count], arriving[index]).map { $0 + 0.05 * $1 }
            }
            try await user.store(arriving[...], from: count)
            let incremental = try await consolidate()
            try await user.forgetMarks()
            let full = try await consolidate()
            try await EmbeddingSpaceRepository(client: client).delete(space, logger: logger)
            return (first, incremental, full)
        }
        try await scratch.drop()
        func line(_ name: String, _ run: (Duration, ConsolidationRepository.Outcome)) -> String {
            "\(name): \(String(format: "%.2f", run.0.seconds)) s, compared \(run.1.examined) new vectors with all, merged \(run.1.merged)"
        }
        print(line("first run (every vector new)", first))
        print(line("run after \(new) new", incremental))
        print(line("full pass over the same rows (every run before)", full))
        print("bench-consolidate: \(count) memories, \(new) new: run \(String(format: "%.3f", incremental.0.seconds)) s; "
            + "full pass \(String(format: "%.2f", full.0.seconds)) s; ratio \(String(format: "%.1f", full.0.seconds / incremental.0.seconds))")
    }
}

/// The benchmark user's memories and vectors, written the way the workers write them.
private struct UserMemories {
    let client: PostgresClient
    let tenant: String
    let space: String
    let dimensions: Int
    let logger: Logger

    func store(_ vectors: ArraySlice<[Float]>, from first: Int) async throws {
        let memories = MemoryRepository(client: client)
        let embeddings = EmbeddingRepository(client: client)
        for batch in stride(from: vectors.startIndex, to: vectors.endIndex, by: 1000) {
            let range = batch..<min(batch + 1000, vectors.endIndex)
            let items = range.map { index in
                MemoryRepository.NewItem(
                    type: "knowledge", text: "memory \(first + index - vectors.startIndex)",
                    contentHash: MemoryRepository.contentHash(ofNormalized: "memory \(first + index - vectors.startIndex)"),
                    categories: [], happenedAt: nil, validFrom: Date())
            }
            let stored = try await client.withTransaction(logger: logger) { connection in
                try await memories.record(
                    items, tenantID: tenant, userID: "u", agentID: nil, resourceID: nil, source: "bench-\(first)-\(batch)",
                    origin: .job("bench-\(first)-\(batch)"), on: connection, logger: logger
                ).items
            }
            try await embeddings.upsert(
                zip(stored, range).map { item, index in
                    EmbeddingRepository.Row(
                        tenantID: tenant, targetKind: .memoryItem, targetID: item.id, contentHash: "bench",
                        embedding: vectors[index], text: "")
                },
                spaceID: space, dimensions: dimensions, logger: logger)
        }
    }

    /// As if the vectors so far had been written an hour ago, long before the next run.
    func age() async throws {
        try await client.query(
            "UPDATE embeddings SET updated_at = updated_at - interval '1 hour' WHERE tenant_id = \(tenant)", logger: logger)
    }

    /// No record of earlier runs: the next run compares every pair, as every run did before.
    func forgetMarks() async throws {
        try await client.query("DELETE FROM consolidation_marks WHERE tenant_id = \(tenant)", logger: logger)
    }
}
