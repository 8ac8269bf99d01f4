import Embeddings
import Foundation
import TestSupport
import Testing
import Tokenizer

/// Messages as memory and hybrid retrieval, end to end through the HTTP API.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct RetrievalTests {
    static func conversation(
        _ turns: [(id: String, name: String, text: String)], user: String, at time: String, key: String, on fixture: GatewayFixture
    ) async throws -> [String: Any] {
        let messages = turns.map { ["role": "user", "id": $0.id, "name": $0.name, "content": $0.text, "created_at": time] }
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": user, "messages": messages, "occurred_at": time])
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        return try await GatewayAPITests.finished(reply.json["id"] as! String, key: key, on: fixture)
    }

    static func retrieve(_ body: [String: Any], key: String, on fixture: GatewayFixture) async throws -> GatewayFixture.Reply {
        try await fixture.request("POST", "/v1/retrieve", key: key, json: body)
    }

    @Test func messagesAreFoundWithTheirIdsSpeakersAndTheItemsCiteThem() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "messages-tenant")
        _ = try await Self.conversation(
            [
                ("D1:1", "Caroline", "Hey Mel! How have you been?"),
                ("D1:2", "Melanie", "Swamped with the kids. What's new with you?"),
                ("D1:3", "Caroline", "I went to a LGBTQ support group yesterday and it was so powerful."),
            ], user: "caroline", at: "2023-05-08T13:56:00Z", key: key, on: fixture)
        let found = try await Self.retrieve(
            ["user_id": "caroline", "query": "When did Caroline go to the LGBTQ support group?", "explain": true], key: key, on: fixture)
        #expect(found.status == 200)
        // The best hit stands on the message that answers (as the message, or an item read from it).
        #expect(found.data.first?["message_ids"] as? [String] == ["D1:3"])
        let messages = try await Self.retrieve(
            ["user_id": "caroline", "query": "When did Caroline go to the LGBTQ support group?", "explain": true, "include": ["messages"]],
            key: key, on: fixture)
        let message = messages.data.first
        #expect(message?["kind"] as? String == "message")
        #expect(message?["id"] as? String == "D1:3")
        #expect(message?["name"] as? String == "Caroline")
        #expect(message?["message_ids"] as? [String] == ["D1:3"])
        #expect((message?["time"] as? String)?.hasPrefix("2023-05-08T13:56:00") == true)
        let explain = message?["explain"] as? [String: Any]
        #expect((explain?["lexical"] as? [String: Any])?["rank"] as? Int != nil)
        #expect((explain?["vector"] as? [String: Any])?["rank"] as? Int != nil)
        #expect(explain?["speaker"] != nil)
        // Every item cites the message it was read from, and no hit repeats what a better one cites.
        let items = try await fixture.request("GET", "/v1/memories?user_id=caroline", key: key).data
        #expect(!items.isEmpty)
        #expect(items.allSatisfy { ($0["message_ids"] as? [String] ?? []).allSatisfy(["D1:1", "D1:2", "D1:3"].contains) })
        #expect(items.contains { $0["message_ids"] as? [String] == ["D1:3"] })
        let cited = found.data.map { $0["message_ids"] as? [String] ?? [] }
        #expect(cited.count == Set(cited).count)

        let onlyMessages = try await Self.retrieve(
            ["user_id": "caroline", "query": "support group", "include": ["messages"]], key: key, on: fixture)
        #expect(!onlyMessages.data.isEmpty && onlyMessages.data.allSatisfy { $0["kind"] as? String == "message" })
        let onlyItems = try await Self.retrieve(
            ["user_id": "caroline", "query": "support group", "include": ["memories"]], key: key, on: fixture)
        #expect(onlyItems.data.allSatisfy { $0["kind"] as? String == "memory" })
    }

    @Test func chineseAndJapaneseMessagesAreFoundByAWordTheyContain() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "cjk-tenant")
        _ = try await Self.conversation(
            [("c1", "李", "我每天早上都喝绿茶。"), ("c2", "李", "周末我们去爬山了。"), ("j1", "佐藤", "来月、京都に引っ越します。")],
            user: "li", at: "2024-03-01T09:00:00Z", key: key, on: fixture)
        for (word, id) in [("绿茶", "c1"), ("爬山", "c2"), ("京都", "j1")] {
            let found = try await Self.retrieve(
                ["user_id": "li", "query": word, "include": ["messages"], "explain": true], key: key, on: fixture)
            #expect(found.data.first?["id"] as? String == id, "\(word)")
            #expect(((found.data.first?["explain"] as? [String: Any])?["lexical"] as? [String: Any])?["rank"] as? Int == 1, "\(word)")
        }
    }

    @Test func aTimeInTheQueryPrefersWhatHappenedThen() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "time-tenant")
        _ = try await Self.conversation([("m1", "Jon", "I went hiking in the mountains.")], user: "jon", at: "2023-05-20T10:00:00Z", key: key, on: fixture)
        _ = try await Self.conversation([("m2", "Jon", "I went hiking in the mountains again.")], user: "jon", at: "2024-01-10T10:00:00Z", key: key, on: fixture)
        for (query, expected) in [("Where did Jon go hiking in May 2023?", "m1"), ("Where did Jon go hiking in January 2024?", "m2")] {
            let found = try await Self.retrieve(["user_id": "jon", "query": query, "include": ["messages"]], key: key, on: fixture)
            #expect(found.data.first?["id"] as? String == expected, "\(query)")
        }
        let filtered = try await Self.retrieve(
            ["user_id": "jon", "query": "hiking", "filters": ["since": "2024-01-01T00:00:00Z"]], key: key, on: fixture)
        #expect(filtered.data.allSatisfy { ($0["time"] as? String ?? "") >= "2024" } && !filtered.data.isEmpty)
    }

    @Test func theContextBlockStaysWithinItsBudget() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "context-tenant")
        let turns = (1...12).map { ("s\($0)", "Maria", "On day \($0) I volunteered at the shelter and cooked soup for \($0 * 3) people.") }
        _ = try await Self.conversation(turns, user: "maria", at: "2023-02-01T12:00:00Z", key: key, on: fixture)
        let tokenizer = try WordPieceTokenizer(modelDirectory: TestModel.directory, maxLength: .max)
        for budget in [40, 120, 400] {
            let block = try await Self.retrieve(
                ["user_id": "maria", "query": "What did Maria do at the shelter?", "format": "context", "max_tokens": budget, "top_k": 20],
                key: key, on: fixture)
            #expect(block.status == 200)
            let text = block.json["text"] as? String ?? ""
            #expect(!text.isEmpty)
            #expect(tokenizer.tokenCount(text) <= budget, "\(budget): \(text)")
            #expect(block.json["tokens"] as? Int == tokenizer.tokenCount(text))
            if budget >= 400 { #expect(text.contains("[2023-02-01] Maria: On day")) }
            let lines = text.split(separator: "\n")
            #expect(lines.count == Set(lines).count)
        }
    }

    @Test func anotherTenantNeverSeesTheMessages() async throws {
        let fixture = try await GatewayAPITests.system()
        let keyA = try await fixture.key(tenant: "messages-a")
        let keyB = try await fixture.key(tenant: "messages-b")
        _ = try await Self.conversation(
            [("x1", "Ana", "My secret recipe uses saffron and cardamom.")], user: "shared", at: "2024-02-02T10:00:00Z", key: keyA, on: fixture)
        let query: [String: Any] = ["user_id": "shared", "query": "saffron cardamom recipe", "explain": true]
        #expect(try await Self.retrieve(query, key: keyA, on: fixture).data.count >= 1)
        #expect(try await Self.retrieve(query, key: keyB, on: fixture).data.isEmpty)
        var context = query
        context["format"] = "context"
        #expect(try await Self.retrieve(context, key: keyB, on: fixture).json["text"] as? String == "")
        #expect((try await Self.retrieve(context, key: keyA, on: fixture).json["text"] as? String ?? "").contains("saffron"))

        // Purging the user removes their messages too.
        #expect(try await fixture.request("DELETE", "/v1/memories?user_id=shared", key: keyA).status == 200)
        #expect(try await Self.retrieve(query, key: keyA, on: fixture).data.isEmpty)
    }

    @Test func badRetrieveAndMemorizeFieldsAreRejected() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "retrieve-validation")
        let cases: [([String: Any], String)] = [
            (["include": ["documents"]], "include"), (["include": [String]()], "include"), (["format": "xml"], "format"),
            (["format": "context", "max_tokens": 0], "max_tokens"), (["time_zone": "Mars/Olympus"], "time_zone"),
        ]
        for (extra, param) in cases {
            let reply = try await Self.retrieve(["user_id": "u", "query": "q"].merging(extra) { $1 }, key: key, on: fixture)
            #expect(reply.status == 400, "\(extra)")
            #expect((reply.json["error"] as? [String: Any])?["param"] as? String == param)
        }
        let long = String(repeating: "x", count: 257)
        for messages in [
            [["role": "user", "content": "a", "id": long]],
            [["role": "user", "content": "a", "id": "same"], ["role": "user", "content": "b", "id": "same"]],
            [["role": "user", "content": "a", "name": " "]],
        ] {
            let reply = try await fixture.request("POST", "/v1/memorize", key: key, json: ["user_id": "u", "messages": messages])
            #expect(reply.status == 400, "\(messages)")
            let param = (reply.json["error"] as? [String: Any])?["param"] as? String ?? ""
            #expect(param.hasPrefix("messages["), "\(param)")
        }
    }
}
