import Foundation
import Logging
import Memory
import PostgresNIO
@testable import Storage
import Testing
import TestSupport

/// Users with many rows are searched through the space's user index; everyone else by an
/// exact scan of their rows.
@Suite("Large users against the real PostgreSQL")
struct LargeUserTests {
    static let (space, dimensions, tenant) = ("large-users/model@1/16", 16, "t")

    /// Creates a migrated database with the tenant and a registered (indexed) space.
    static func withSpace(_ body: @Sendable (PostgresClient, Logger) async throws -> Void) async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        defer { Task { await database.drop() } }
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            try await client.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant))", logger: logger)
            try await EmbeddingRepository(client: client).register(
                spaceID: space, model: "large-users/model", revision: "1", dimensions: dimensions, logger: logger)
            try await body(client, logger)
        }
    }

    /// Stores items with these texts and vectors for the user; returns their ids in order.
    @discardableResult
    static func store(
        _ texts: [String], vectors: [[Float]], user: String, client: PostgresClient, logger: Logger
    ) async throws -> [String] {
        let items = try await client.withTransaction(logger: logger) { connection in
            try await MemoryRepository(client: client).record(
                texts.map {
                    MemoryRepository.NewItem(
                        type: "knowledge", text: $0, contentHash: MemoryRepository.contentHash(ofNormalized: MemoryText.normalized($0)),
                        categories: ["personal"], happenedAt: nil, validFrom: Date())
                }, tenantID: tenant, userID: user, agentID: nil, resourceID: nil, source: "test", origin: .job("j-\(UUID())"),
                on: connection, logger: logger
            ).items
        }
        try await EmbeddingRepository(client: client).upsert(
            zip(items, vectors).map {
                EmbeddingRepository.Row(
                    tenantID: tenant, targetKind: .memoryItem, targetID: $0.id, contentHash: "h", embedding: $1, text: $0.text)
            }, spaceID: space, dimensions: dimensions, logger: logger)
        return items.map(\.id)
    }

    static func request(user: String, vector: [Float], text: String, depth: Int = 10) -> RecallRepository.Request {
        RecallRepository.Request(
            tenantID: tenant, userID: user, filter: .init(), kinds: [.memory, .message], spaceID: space, vector: vector, text: text,
            depth: depth)
    }

    /// The ids by one signal's rank.
    static func ranking(_ candidates: [RecallRepository.Candidate], by signal: KeyPath<RecallRepository.Candidate, RecallRepository.Signal?>) -> [String] {
        candidates.compactMap { candidate in candidate[keyPath: signal].map { ($0.rank, candidate.id) } }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func plan(_ request: RecallRepository.Request, large: Bool, client: PostgresClient, logger: Logger) async throws -> String {
        let query = RecallRepository.query(request, common: large ? [:] : nil)
        return try await client.withTransaction(logger: logger) { connection in
            // Sorts and scans priced out: on rows this few, sorting them is cheaper than any
            // index, and the question is whether the query's ordering can use the user index.
            try await connection.query("SET LOCAL enable_sort = off", logger: logger)
            try await connection.query("SET LOCAL enable_seqscan = off", logger: logger)
            var lines: [String] = []
            for try await line in try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN " + query.sql, binds: query.binds), logger: logger
            ).decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
    }

    static let words = ["harbor", "violin", "glacier", "pepper", "lantern", "orchid", "canyon", "saddle", "meteor", "quartz"]

    @Test func exactAndApproximateSearchesAgreeOnAUserBelowTheThreshold() async throws {
        try await Self.withSpace { client, logger in
            let vectors = DocumentIndexTests.vectors(count: 161)
            let texts = (0..<160).map { "note \($0) about the \(Self.words[$0 % 10]) and the \(Self.words[($0 / 10) % 10])" }
            try await Self.store(texts, vectors: Array(vectors.dropFirst()), user: "u", client: client, logger: logger)
            let request = Self.request(user: "u", vector: vectors[0], text: "the violin by the glacier")
            let recall = RecallRepository(client: client)
            let exact = try await recall.candidates(request, logger: logger)
            #expect(!(try await Self.plan(request, large: false, client: client, logger: logger)).contains(
                EmbeddingSpaceRepository.userIndexName(Self.space)))

            try await LargeUserRepository(client: client).promote(tenantID: Self.tenant, userID: "u", logger: logger)
            let approximate = try await recall.candidates(request, logger: logger)
            let plan = try await Self.plan(request, large: true, client: client, logger: logger)
            #expect(plan.contains(EmbeddingSpaceRepository.userIndexName(Self.space)), "\(plan)")

            let nearest = Self.ranking(exact, by: \.vector)
            #expect(nearest.count == 10)
            #expect(Self.ranking(approximate, by: \.vector) == nearest)
            let byWords = Self.ranking(exact, by: \.lexical)
            #expect(byWords.count == 10)
            #expect(Self.ranking(approximate, by: \.lexical) == byWords)
            #expect(approximate.map(\.lexical) == approximate.map { candidate in exact.first { $0.id == candidate.id }?.lexical })
        }
    }

    @Test func usersArePromotedAtTheThreshold() async throws {
        try await Self.withSpace { client, logger in
            let vectors = DocumentIndexTests.vectors(count: 41)
            try await Self.store((0..<20).map { "small \($0)" }, vectors: Array(vectors[0..<20]), user: "small", client: client, logger: logger)
            try await Self.store((0..<21).map { "big \($0)" }, vectors: Array(vectors[20..<41]), user: "big", client: client, logger: logger)
            let users = LargeUserRepository(client: client)
            let crossing = try await users.crossing(threshold: 21, from: nil, to: Date().addingTimeInterval(60), logger: logger)
            #expect(crossing.map(\.userID) == ["big"])
            let recently = try await users.crossing(
                threshold: 21, from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(60), logger: logger)
            #expect(recently.map(\.userID) == ["big"])
            #expect(try await users.crossing(threshold: 21, from: Date().addingTimeInterval(60), to: Date().addingTimeInterval(120), logger: logger).isEmpty,
                    "no rows created in the window")

            try await users.promote(tenantID: Self.tenant, userID: "big", logger: logger)
            let marked = try await client.query(
                "SELECT count(*) FILTER (WHERE large_user_id = 'big')::int, count(*) FILTER (WHERE large_user_id IS NOT NULL)::int FROM embeddings",
                logger: logger).decode((Int, Int).self)
            for try await (big, any) in marked { #expect((big, any) == (21, 21)) }
            #expect(try await users.crossing(threshold: 21, from: nil, to: Date().addingTimeInterval(60), logger: logger).isEmpty,
                    "a large user is not promoted again")
        }
    }

    @Test func aUserCrossingTheThresholdKeepsBeingFound() async throws {
        try await Self.withSpace { client, logger in
            let vectors = DocumentIndexTests.vectors(count: 60)
            let before = try await Self.store(
                (0..<30).map { "before \($0) \(Self.words[$0 % 10])" }, vectors: Array(vectors[0..<30]), user: "u", client: client, logger: logger)
            let recall = RecallRepository(client: client)
            let found = Self.ranking(try await recall.candidates(Self.request(user: "u", vector: vectors[7], text: "x"), logger: logger), by: \.vector)
            #expect(found.first == before[7])

            try await LargeUserRepository(client: client).promote(tenantID: Self.tenant, userID: "u", logger: logger)
            // Written after the promotion: the trigger marks them, so the index holds them.
            let after = try await Self.store(
                (30..<60).map { "after \($0) lantern" }, vectors: Array(vectors[30..<60]), user: "u", client: client, logger: logger)
            for (index, vector) in [(7, vectors[7]), (45, vectors[45])] {
                let nearest = Self.ranking(
                    try await recall.candidates(Self.request(user: "u", vector: vector, text: "x"), logger: logger), by: \.vector)
                #expect(nearest.first == (before + after)[index])
            }
            let byWords = try await recall.candidates(Self.request(user: "u", vector: vectors[0], text: "lantern"), logger: logger)
            #expect(Set(Self.ranking(byWords, by: \.lexical)).isSubset(of: Set(before + after)))
            #expect(Self.ranking(byWords, by: \.lexical).count == 10)
            let unmarked = try await client.query(
                "SELECT count(*)::int FROM embeddings WHERE large_user_id IS NULL", logger: logger).decode(Int.self)
            for try await count in unmarked { #expect(count == 0) }
        }
    }

    @Test func aLargeUsersQueryOfCommonTermsOnlyFindsNothingByWords() async throws {
        try await Self.withSpace { client, logger in
            let vectors = DocumentIndexTests.vectors(count: 60)
            try await Self.store(
                (0..<60).map { "note \($0) about the \(Self.words[$0 % 10])" }, vectors: vectors, user: "u", client: client, logger: logger)
            try await LargeUserRepository(client: client).promote(tenantID: Self.tenant, userID: "u", logger: logger)
            let request = Self.request(user: "u", vector: vectors[0], text: "the lantern", depth: 5)
            @Sendable func foundOnlyByWords(common: [String: Double]) async throws -> Int {
                let found = try await RecallRepository.decode(client.query(RecallRepository.query(request, common: common), logger: logger))
                return found.filter { $0.vector == nil && $0.lexical != nil }.count
            }
            // "lantern" is in 6 of the 60 notes: found by words, beside the 5 nearest.
            #expect(try await foundOnlyByWords(common: [:]) > 0)
            // As common as every term of the query: it only ranks the nearest.
            #expect(try await foundOnlyByWords(common: ["lantern": 0.2]) == 0)
        }
    }

    /// Migration v16 gives a space that existed before it the same user index that
    /// registering a space builds now.
    @Test func v16GivesExistingSpacesTheUserIndex() async throws {
        @Sendable func userIndex(_ client: PostgresClient, logger: Logger) async throws -> String {
            for try await definition in try await client.query(
                "SELECT indexdef FROM pg_indexes WHERE indexname = \(EmbeddingSpaceRepository.userIndexName(Self.space))", logger: logger
            ).decode(String.self) {
                return definition
            }
            return "none"
        }
        let (upgraded, fresh) = (ScratchDatabase(), ScratchDatabase())
        try await upgraded.create()
        try await fresh.createMigrated()
        defer { Task { await upgraded.drop(); await fresh.drop() } }
        let logger = upgraded.logger
        let migrated = try await upgraded.withClient(url: upgraded.url) { client in
            _ = try await Migrator(migrations: Migration.all.filter { $0.version <= 15 }).migrate(client, logger: logger)
            try await client.query("""
                INSERT INTO embedding_spaces (id, model, revision, dimensions, active) VALUES (\(Self.space), 'm', '1', 16, true)
                """, logger: logger)
            #expect(try await Migrator().migrate(client, logger: logger) == [16])
            return try await userIndex(client, logger: logger)
        }
        let registered = try await fresh.withClient(url: fresh.url) { client in
            try await EmbeddingRepository(client: client).register(
                spaceID: Self.space, model: "m", revision: "1", dimensions: 16, logger: logger)
            return try await userIndex(client, logger: logger)
        }
        #expect(migrated.contains("halfvec_cosine_ops") && migrated.contains("large_user_id IS NOT NULL"), "\(migrated)")
        #expect(migrated == registered)
    }
}
