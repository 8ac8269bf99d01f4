import ArgumentParser
import Embeddings
import Foundation
import Logging
import PostgresNIO
import Storage
import WorkerRuntime

/// `memgrid-bench index`: the cost of a space's HNSW index during a bulk load. The same
/// vectors go into a space whose index exists (every upsert grows the graph: how the
/// active space is written) and into a standby space that is indexed once at the end
/// (how a re-embed fills a new space, docs/reembedding.md). Same upserts, same batches,
/// of document targets: the index holds documents only.
struct BenchIndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Bulk load into an indexed space vs a standby space indexed once afterwards.")

    @Option(help: "Vectors to load into each space.")
    var count = 100_000

    @Option(help: "Rows per upsert (the embedding worker's batch).")
    var batch = 256

    @Option(help: "Dimensions of the vectors.")
    var dimensions = 384

    func run() async throws {
        let scratch = try await ScratchTenant.created(name: "bench-index")
        let logger = scratch.logger
        print("bench-index: \(count) vectors of \(dimensions) dimensions (random, unit length), \(batch) per upsert")
        let vectors = Self.randomUnitVectors(count: count, dimensions: dimensions)

        let (incremental, load, index) = try await DatabaseConfiguration.withClient(url: scratch.url, logger: logger) {
            [count, batch, dimensions, vectors, logger] client in
            let spaces = EmbeddingSpaceRepository(client: client)
            let repository = EmbeddingRepository(client: client)
            let (indexed, standby) = ("\(scratch.tenant)/indexed", "\(scratch.tenant)/standby")
            for space in [indexed, standby] {
                try await repository.register(
                    spaceID: space, model: "bench-index", revision: space, dimensions: dimensions, mayActivate: false,
                    logger: logger)
            }
            func load(into space: String) async throws -> Duration {
                let start = ContinuousClock.now
                for offset in stride(from: 0, to: count, by: batch) {
                    let rows = (offset..<min(offset + batch, count)).map { index in
                        EmbeddingRepository.Row(
                            tenantID: scratch.tenant, targetKind: .document, targetID: "v\(index)", contentHash: "bench",
                            embedding: vectors[index], text: "")
                    }
                    try await repository.upsert(rows, spaceID: space, dimensions: dimensions, logger: logger)
                }
                return ContinuousClock.now - start
            }
            do {
                try await spaces.buildIndex(spaceID: indexed, dimensions: dimensions, logger: logger)
                let incremental = try await load(into: indexed)
                let loaded = try await load(into: standby)
                let start = ContinuousClock.now
                try await spaces.buildIndex(spaceID: standby, dimensions: dimensions, concurrently: true, logger: logger)
                let index = ContinuousClock.now - start
                try await spaces.delete(indexed, logger: logger)
                try await spaces.delete(standby, logger: logger)
                return (incremental, loaded, index)
            } catch {
                try? await spaces.delete(indexed, logger: logger)
                try? await spaces.delete(standby, logger: logger)
                throw error
            }
        }
        try? await scratch.drop()

        let incrementalRate = Double(count) / incremental.seconds
        let deferredRate = Double(count) / (load + index).seconds
        print("indexed space: \(count) vectors in \(String(format: "%.1f", incremental.seconds)) s")
        print("standby space: loaded in \(String(format: "%.1f", load.seconds)) s, indexed in \(String(format: "%.1f", index.seconds)) s")
        print("bench-index: incremental \(Int(incrementalRate)) rows/s; load then index \(Int(deferredRate)) rows/s "
            + "(load \(Int(Double(count) / load.seconds)) rows/s + index \(String(format: "%.1f", index.seconds)) s); "
            + "ratio \(String(format: "%.2f", deferredRate / incrementalRate))")
    }

    /// Seeded, so runs compare: normal components, scaled to unit length.
    static func randomUnitVectors(count: Int, dimensions: Int) -> [[Float]] {
        var generator = SplitMix64(seed: 42)
        return (0..<count).map { _ in
            // Box–Muller from two uniforms per pair of components.
            var vector = (0..<dimensions).map { _ in
                let u = max(Double(generator.next() >> 11) / Double(1 << 53), .leastNonzeroMagnitude)
                let v = Double(generator.next() >> 11) / Double(1 << 53)
                return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
            }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for index in vector.indices { vector[index] /= norm }
            return vector
        }
    }
}
