import Foundation
import PostgresNIO
import Testing
import TestSupport

/// The documents API over what a backfill stored, with the embedding worker running:
/// search (vector and words), list with filters and pages, get, delete, per tenant.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct DocumentsAPITests {
    static let texts = [
        "The invoice for the Berlin office is due on the first of the month.",
        "Our refund policy allows returns within thirty days of delivery.",
        "The warehouse in Lyon ships orders every weekday morning.",
        "Support tickets are answered within four business hours.",
        "Quarterly security audits cover every production database.",
    ]

    /// Backfills the texts for `tenant` (every other one for user "ada") and waits until stored.
    static func seed(tenant: String, on fixture: GatewayFixture) async throws -> String {
        let key = try await fixture.key(tenant: tenant, scopes: ["admin"])
        let items: [[String: Any]] = texts.enumerated().map { index, text in
            var item: [String: Any] = ["id": "doc-\(index)", "text": text, "metadata": ["kind": index < 3 ? "ops" : "policy"]]
            if index.isMultiple(of: 2) { item["user_id"] = "ada" }
            return item
        }
        let run = UUID().uuidString.prefix(8)
        let created = try await fixture.request("POST", "/v1/backfills", key: key, json: ["id": "docs-\(run)", "items": items])
        #expect(created.status == 202, "\(String(decoding: created.body, as: UTF8.self))")
        let done = try await TestBroker.eventually(timeout: .seconds(60)) {
            try await fixture.request("GET", "/v1/backfills/docs-\(run)", key: key).json["state"] as? String == "completed"
        }
        #expect(done)
        return key
    }

    static func ids(_ reply: GatewayFixture.Reply) -> [String] {
        reply.data.compactMap { $0["id"] as? String }
    }

    @Test func searchFindsByMeaningAndByWordsWithinTheFilters() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await Self.seed(tenant: "documents-tenant", on: fixture)
        func search(_ body: [String: Any]) async throws -> GatewayFixture.Reply {
            let reply = try await fixture.request("POST", "/v1/documents/search", key: key, json: body)
            #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            return reply
        }
        let refunds = try await search(["query": "can I get my money back?", "top_k": 2, "explain": true])
        #expect(Self.ids(refunds).first == "doc-1", "\(refunds.data)")
        #expect(refunds.data.count == 2)
        #expect((refunds.data.first?["explain"] as? [String: Any])?["vector"] is [String: Any])
        let words = try await search(["query": "Lyon warehouse", "top_k": 1])
        #expect(Self.ids(words) == ["doc-2"])
        let policies = try await search(["query": "office invoice", "filters": ["metadata": ["kind": "policy"]]])
        #expect(Set(Self.ids(policies)).isSubset(of: ["doc-3", "doc-4"]) && !policies.data.isEmpty)
        let ada = try await search(["query": "office invoice", "user_id": "ada"])
        #expect(Set(Self.ids(ada)).isSubset(of: ["doc-0", "doc-2", "doc-4"]) && Self.ids(ada).first == "doc-0")

        let bad = try await fixture.request("POST", "/v1/documents/search", key: key, json: ["query": "x", "top_k": 0])
        #expect(bad.status == 400 && (bad.json["error"] as? [String: Any])?["param"] as? String == "top_k")
        let stranger = try await fixture.key(tenant: "documents-stranger")
        let none = try await fixture.request("POST", "/v1/documents/search", key: stranger, json: ["query": "refund policy"])
        #expect(none.status == 200 && none.data.isEmpty, "documents are tenant-scoped")
    }

    @Test func listGetAndDeleteWhichRemovesTheVectors() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await Self.seed(tenant: "documents-crud-tenant", on: fixture)
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await fixture.request("GET", "/v1/documents?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            #expect(page.status == 200)
            seen += Self.ids(page)
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(seen.sorted() == (0..<5).map { "doc-\($0)" })
        let ops = try await fixture.request("GET", "/v1/documents?metadata=%7B%22kind%22%3A%22ops%22%7D&user_id=ada", key: key)
        #expect(Set(Self.ids(ops)) == ["doc-0", "doc-2"])

        let one = try await fixture.request("GET", "/v1/documents/doc-1", key: key)
        #expect(one.json["text"] as? String == Self.texts[1])
        #expect(one.json["metadata"] as? [String: String] == ["kind": "ops"])
        let stranger = try await fixture.key(tenant: "documents-crud-stranger")
        #expect(try await fixture.request("GET", "/v1/documents/doc-1", key: stranger).status == 404)
        #expect(try await fixture.request("DELETE", "/v1/documents/doc-1", key: stranger).status == 404)

        let deleted = try await fixture.request("DELETE", "/v1/documents/doc-1", key: key)
        #expect(deleted.json["deleted"] as? Bool == true)
        #expect(try await fixture.request("GET", "/v1/documents/doc-1", key: key).errorCode == "document_not_found")
        let vectors = try await fixture.database.withClient(url: fixture.database.url) { client in
            for try await count in try await client.query("""
                SELECT count(*)::int FROM embeddings WHERE tenant_id = 'documents-crud-tenant' AND target_kind = 'document'
                  AND target_id = 'doc-1'
                """, logger: fixture.logger).decode(Int.self)
            {
                return count
            }
            return -1
        }
        #expect(vectors == 0)
        let found = try await fixture.request("POST", "/v1/documents/search", key: key, json: ["query": "refund policy returns"])
        #expect(!Self.ids(found).contains("doc-1"))
    }
}
