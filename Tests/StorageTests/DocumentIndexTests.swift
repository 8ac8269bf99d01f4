import Foundation
import Logging
import PostgresNIO
@testable import Storage
import Testing
import TestSupport

/// A space's document index is a graph over the vectors' sign bits; document search
/// re-ranks its candidates by exact cosine.
@Suite("The binary document index against the real PostgreSQL")
struct DocumentIndexTests {
    static let (space, dimensions) = ("doc-index/model@1/16", 16)

    /// Unit vectors from a fixed seed (SplitMix64), so a failure repeats.
    static func vectors(count: Int) -> [[Float]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) * 2 - 1  // uniform in [-1, 1)
        }
        return (0..<count).map { _ in
            let raw = (0..<dimensions).map { _ in next() }
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return raw.map { $0 / norm }
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        Double(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
    }

    static func indexDefinition(_ client: PostgresClient, logger: Logger) async throws -> String {
        let name = EmbeddingSpaceRepository.indexName(space)
        for try await definition in try await client.query(
            "SELECT indexdef FROM pg_indexes WHERE indexname = \(name)", logger: logger
        ).decode(String.self) {
            return definition
        }
        return "none"
    }

    @Test func searchReRanksTheIndexesCandidatesByExactCosine() async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        let logger = database.logger
        var configuration = try DatabaseConfiguration(url: database.url)
        configuration.searchDocuments(candidates: 40)
        let stored = Self.vectors(count: 301)
        let (query, documents) = (stored[0], Array(stored.dropFirst()))
        try await DatabaseConfiguration.withClient(configuration, logger: logger) { client in
            try await client.query("INSERT INTO tenants (id, name) VALUES ('t', 't')", logger: logger)
            let embeddings = EmbeddingRepository(client: client)
            try await embeddings.register(
                spaceID: Self.space, model: "doc-index/model", revision: "1", dimensions: Self.dimensions, logger: logger)
            #expect(try await Self.indexDefinition(client, logger: logger).contains(
                "(binary_quantize((embedding)::vector(16)))::bit(16)) bit_hamming_ops"))
            try await embeddings.upsert(documents.enumerated().map { index, vector in
                .init(tenantID: "t", targetKind: .document, targetID: "d\(index)", contentHash: "h", embedding: vector, text: "d\(index)")
            }, spaceID: Self.space, dimensions: Self.dimensions, logger: logger)
            let repository = DocumentRepository(client: client)
            func search(candidates: Int) async throws -> [DocumentRepository.Hit] {
                try await repository.search(
                    tenantID: "t", filter: .init(), spaceID: Self.space, dimensions: Self.dimensions, vector: query,
                    text: "nothing", depth: 10, candidates: candidates, logger: logger
                ).filter { $0.vector != nil }.sorted { $0.vector!.rank < $1.vector!.rank }
            }
            let exact = documents.indices.sorted { Self.cosine(documents[$0], query) > Self.cosine(documents[$1], query) }
                .prefix(10).map { "d\($0)" }

            // Candidates covering every document: the exact top 10.
            #expect(try await search(candidates: 300).map(\.document.externalID) == exact)
            // Fewer: whichever the bits chose, ranked and scored by exact cosine.
            let few = try await search(candidates: 40)
            #expect(few.count == 10)
            for (hit, next) in zip(few, few.dropFirst()) { #expect(hit.vector!.score >= next.vector!.score) }
            for hit in few {
                let index = Int(hit.document.externalID.dropFirst())!
                #expect(abs(hit.vector!.score - Self.cosine(documents[index], query)) < 1e-5)
            }
        }
        await database.drop()
    }

    /// A term in every document is left out of the ranking by words (ranking every match
    /// of it took seconds in a large tenant); a query with no rarer one only ranks the
    /// documents found by vector.
    @Test func termsInMostDocumentsAreLeftOutOfTheRankingByWords() async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        let logger = database.logger
        let stored = Self.vectors(count: 200)
        try await database.withClient(url: database.url) { client in
            try await client.query("INSERT INTO tenants (id, name) VALUES ('t', 't')", logger: logger)
            let embeddings = EmbeddingRepository(client: client)
            try await embeddings.register(
                spaceID: Self.space, model: "doc-index/model", revision: "1", dimensions: Self.dimensions, logger: logger)
            try await embeddings.upsert(stored.enumerated().map { index, vector in
                .init(tenantID: "t", targetKind: .document, targetID: "d\(index)", contentHash: "h", embedding: vector,
                      text: "quarterly report number \(index)" + (index == 7 ? " about the zeppelin" : ""))
            }, spaceID: Self.space, dimensions: Self.dimensions, logger: logger)
            try await client.query("ANALYZE documents", logger: logger)
            func search(_ text: String) async throws -> [DocumentRepository.Hit] {
                try await DocumentRepository(client: client).search(
                    tenantID: "t", filter: .init(), spaceID: Self.space, dimensions: Self.dimensions, vector: stored[0], text: text,
                    depth: 10, candidates: 10, logger: logger)
            }
            #expect(try await search("the zeppelin report").filter { $0.lexical != nil }.map(\.document.externalID) == ["d7"])
            let common = try await search("quarterly report")
            #expect(common.filter { $0.lexical != nil }.count == 10)
            #expect(common.allSatisfy { $0.lexical == nil || $0.vector != nil })
        }
        await database.drop()
    }

    /// A database whose space has the float index of v9 gets the sign-bit one from v15.
    @Test func v15RebuildsAFloatDocumentIndexOverSignBits() async throws {
        let database = ScratchDatabase()
        try await database.create()
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            _ = try await Migrator(migrations: Migration.all.filter { $0.version <= 14 }).migrate(client, logger: logger)
            try await client.query("""
                INSERT INTO embedding_spaces (id, model, revision, dimensions, active) VALUES (\(Self.space), 'm', '1', 16, true)
                """, logger: logger)
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE INDEX \(EmbeddingSpaceRepository.indexName(Self.space)) ON embeddings
                USING hnsw ((embedding::vector(16)) vector_cosine_ops) WHERE space_id = '\(Self.space)' AND target_kind = 'document'
                """), logger: logger)
            #expect(try await Migrator().migrate(client, logger: logger) == [15, 16])
            let definition = try await Self.indexDefinition(client, logger: logger)
            #expect(definition.contains("bit_hamming_ops") && definition.contains("target_kind = 'document'"), "\(definition)")
        }
        await database.drop()
    }
}
