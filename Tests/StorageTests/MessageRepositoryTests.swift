import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("Messages as memory against the real PostgreSQL")
struct MessageRepositoryTests {
    static func withDatabase(_ body: @Sendable (PostgresClient, Logger) async throws -> Void) async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        defer { Task { await database.drop() } }
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            for tenant in ["acme", "other"] {
                try await client.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant))", logger: logger)
            }
            try await client.query(
                "INSERT INTO embedding_spaces (id, model, revision, dimensions, active) VALUES ('s', 'm', 'r', 3, true)", logger: logger)
            try await body(client, logger)
        }
    }

    static func message(_ id: String, _ content: String, name: String? = "Caroline", at time: Date = Date()) -> MessageRepository.NewMessage {
        MessageRepository.NewMessage(messageID: id, position: 0, role: "user", name: name, content: content, sentAt: time)
    }

    static func record(
        _ messages: [MessageRepository.NewMessage], tenant: String = "acme", user: String = "u", job: String, client: PostgresClient,
        logger: Logger
    ) async throws -> [MessageRepository.Stored] {
        try await client.withTransaction(logger: logger) { connection in
            try await MessageRepository.record(
                messages, tenantID: tenant, userID: user, agentID: nil, resourceID: nil, jobID: job, on: connection, logger: logger)
        }
    }

    static func count(_ sql: PostgresQuery, client: PostgresClient, logger: Logger) async throws -> Int {
        for try await count in try await client.query(sql, logger: logger).decode(Int.self) { return count }
        return 0
    }

    static func lexical(_ text: String, tenant: String = "acme", client: PostgresClient, logger: Logger) async throws -> [RecallRepository.Candidate] {
        try await RecallRepository(client: client).candidates(
            .init(
                tenantID: tenant, userID: "u", filter: .init(), kinds: [.memory, .message], spaceID: "s", vector: [1, 0, 0],
                text: text, depth: 10),
            logger: logger)
    }

    @Test("a redelivered or repeated message is stored once, and only the job that stored it first embeds it")
    func idempotent() async throws {
        try await Self.withDatabase { client, logger in
            let messages = [Self.message("D1:1", "I went to a support group."), Self.message("D1:2", "That sounds great!")]
            let first = try await Self.record(messages, job: "job-1", client: client, logger: logger)
            let again = try await Self.record(messages, job: "job-1", client: client, logger: logger)
            let later = try await Self.record(messages + [Self.message("D1:3", "Thanks!")], job: "job-2", client: client, logger: logger)
            #expect(first == again)
            #expect(first.map(\.messageID) == ["D1:1", "D1:2"] && first.allSatisfy { $0.jobID == "job-1" })
            #expect(later.map(\.jobID) == ["job-1", "job-1", "job-2"])
            #expect(try await Self.count("SELECT count(*)::int FROM memory_messages", client: client, logger: logger) == 3)
            let names = try await Self.count(
                "SELECT count(*)::int FROM memory_messages WHERE name = 'Caroline' AND message_id = 'D1:1'", client: client, logger: logger)
            #expect(names == 1)
        }
    }

    @Test("words find messages, also Chinese and Japanese ones that PostgreSQL's parser does not split")
    func lexicalSearch() async throws {
        try await Self.withDatabase { client, logger in
            _ = try await Self.record(
                [
                    Self.message("a", "我每天早上喝绿茶"), Self.message("b", "東京に住んでいます"),
                    Self.message("c", "I adopted two cats last spring"), Self.message("d", "The weather is nice"),
                ], job: "job", client: client, logger: logger)
            let tea = try await Self.lexical("绿茶", client: client, logger: logger)
            #expect(tea.first?.messageIDs == ["a"])
            let tokyo = try await Self.lexical("東京", client: client, logger: logger)
            #expect(tokyo.first?.messageIDs == ["b"])
            // Stemmed: "cat" finds "cats"; each hit says which message it is and who said it.
            let cats = try await Self.lexical("Who has a cat?", client: client, logger: logger)
            #expect(cats.map(\.messageIDs) == [["c"]])
            #expect(cats.first?.name == "Caroline" && cats.first?.lexical?.rank == 1 && cats.first?.vector == nil)
            // Another tenant's user of the same id sees none of it.
            #expect(try await Self.lexical("cat", tenant: "other", client: client, logger: logger).isEmpty)
        }
    }

    @Test("re-embedding builds a message's text exactly as memorize embedded it: speaker line, then the message before it")
    func embeddedTextIsTheSameInSQL() async throws {
        try await Self.withDatabase { client, logger in
            let messages = [
                MessageRepository.NewMessage(messageID: "q", position: 0, role: "assistant", name: nil, content: "Where did you go?", sentAt: Date()),
                MessageRepository.NewMessage(
                    messageID: "a", position: 1, role: "user", name: "Ana", content: "To Porto, it's lovely", sentAt: Date(),
                    context: "assistant: Where did you go?"),
            ]
            #expect(messages[1].embeddedText == "Ana: To Porto, it's lovely\nassistant: Where did you go?")
            _ = try await Self.record(messages, job: "job", client: client, logger: logger)
            // Re-embedding reads the text SQL builds: it must be the one memorize embedded,
            // or every message would count as stale.
            var texts: [String] = []
            try await EmbeddingSpaceRepository(client: client).forEachMissing(in: "s", tenantID: "acme", logger: logger) { target in
                if target.kind == .message { texts.append(target.text) }
            }
            #expect(Set(texts) == Set(messages.map(\.embeddedText)))
        }
    }

    @Test("a user's purge removes their messages and the messages' vectors")
    func purge() async throws {
        try await Self.withDatabase { client, logger in
            let stored = try await Self.record([Self.message("a", "I like tea")], job: "job", client: client, logger: logger)
            _ = try await Self.record([Self.message("a", "I like tea")], user: "keep", job: "job", client: client, logger: logger)
            try await EmbeddingRepository(client: client).upsert(
                [.init(tenantID: "acme", targetKind: .message, targetID: stored[0].id, contentHash: "h", embedding: [1, 0, 0], text: "")],
                spaceID: "s", dimensions: 3, logger: logger)
            #expect(try await Self.lexical("tea", client: client, logger: logger).first?.vector?.rank == 1)
            _ = try await MemoryRepository(client: client).purge(tenantID: "acme", userID: "u", origin: .request("r"), logger: logger)
            #expect(try await Self.count("SELECT count(*)::int FROM memory_messages WHERE user_id = 'u'", client: client, logger: logger) == 0)
            #expect(try await Self.count("SELECT count(*)::int FROM embeddings", client: client, logger: logger) == 0)
            #expect(try await Self.count("SELECT count(*)::int FROM memory_messages", client: client, logger: logger) == 1)
        }
    }
}
