import Foundation
import PostgresNIO
import Testing
import TestSupport

/// `POST /v1/backfills` and `GET /v1/backfills/{id}` with the embedding worker running.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct BackfillsAPITests {
    static func items(_ count: Int, run: Substring) -> [[String: Any]] {
        (0..<count).map { ["id": "item-\($0)", "text": "Inline backfill text \($0) of run \(run).", "metadata": ["n": "\($0)"]] }
    }

    @Test func aBackfillIsPublishedThenCompletesWithOneRowPerItem() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "backfill-tenant", scopes: ["admin"])
        let run = UUID().uuidString.prefix(8)
        let body: [String: Any] = ["id": "bf-\(run)", "chunk_size": 4, "items": Self.items(10, run: run)]
        let created = try await fixture.request("POST", "/v1/backfills", key: key, json: body)
        #expect(created.status == 202, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(created.json["object"] as? String == "backfill" && created.json["id"] as? String == "bf-\(run)")
        #expect(created.json["chunks"] as? Int == 3 && created.json["total_items"] as? Int == 10)
        #expect(["published", "completed"].contains(created.json["state"] as? String))

        var progress: [String: Any] = [:]
        _ = try await TestBroker.eventually(timeout: .seconds(60)) {
            progress = try await fixture.request("GET", "/v1/backfills/bf-\(run)", key: key).json
            return progress["state"] as? String == "completed"
        }
        #expect(progress["done_items"] as? Int == 10 && progress["pending_items"] as? Int == 0)
        #expect(progress["dead_lettered_items"] as? Int == 0)

        // The same request again publishes nothing new and adds no rows.
        let repeated = try await fixture.request("POST", "/v1/backfills", key: key, json: body)
        #expect(repeated.status == 202 && repeated.json["chunks"] as? Int == 3)
        let rows = try await fixture.database.withClient(url: fixture.database.url) { client in
            let rows = try await client.query(
                "SELECT count(*)::int FROM documents WHERE tenant_id = 'backfill-tenant' AND external_id LIKE 'item-%'",
                logger: fixture.logger)
            for try await count in rows.decode(Int.self) { return count }
            return -1
        }
        #expect(rows == 10)

        // Same id, other items: refused.
        let other = try await fixture.request(
            "POST", "/v1/backfills", key: key, json: ["id": "bf-\(run)", "chunk_size": 4, "items": Self.items(3, run: run)])
        #expect(other.status == 409 && other.errorCode == "backfill_conflict")
    }

    @Test func badRequestsNameTheField() async throws {
        let fixture = try await GatewayAPITests.system()
        let admin = try await fixture.key(tenant: "backfill-bad", scopes: ["admin"])
        let ordinary = try await fixture.key(tenant: "backfill-bad")
        let good = Self.items(2, run: "bad")
        let cases: [([String: Any], String, String)] = [
            (["items": []], "invalid_value", "items"),
            (["items": [["id": "a", "text": "fine"], ["id": "b", "text": " "]]], "invalid_value", "items[1].text"),
            (["items": [["id": "a", "text": "one"], ["id": "a", "text": "two"]]], "invalid_value", "items[1].id"),
            (["items": [["id": "", "text": "one"]]], "invalid_value", "items[0].id"),
            (["items": [["text": "one"]]], "missing_parameter", "items[0].id"),
            (["items": [["id": "a", "text": "x", "user": "u"]]], "unknown_parameter", "items[0].user"),
            (["items": [["id": "a", "text": "x", "metadata": ["k": 1]]]], "invalid_type", "items[0].metadata.k"),
            (["id": "no spaces allowed", "items": good], "invalid_value", "id"),
            (["chunk_size": 0, "items": good], "invalid_value", "chunk_size"),
            (["items": Array(repeating: ["id": "a", "text": "x"], count: 10_001)], "invalid_value", "items"),
        ]
        for (body, code, param) in cases {
            let reply = try await fixture.request("POST", "/v1/backfills", key: admin, json: body)
            let error = reply.json["error"] as? [String: Any]
            #expect(reply.status == 400 && reply.errorCode == code && error?["param"] as? String == param, "\(param): \(reply.json)")
        }
        let forbidden = try await fixture.request("POST", "/v1/backfills", key: ordinary, json: ["items": good])
        #expect(forbidden.status == 403 && forbidden.errorCode == "insufficient_scope")
        let nothing = try await fixture.request("GET", "/v1/backfills/nope", key: admin)
        #expect(nothing.status == 404 && nothing.errorCode == "backfill_not_found")
    }

    @Test func anotherTenantsBackfillIsNotFound() async throws {
        let fixture = try await GatewayAPITests.system()
        let owner = try await fixture.key(tenant: "backfill-owner", scopes: ["admin"])
        let stranger = try await fixture.key(tenant: "backfill-stranger", scopes: ["admin"])
        let created = try await fixture.request("POST", "/v1/backfills", key: owner, json: ["items": Self.items(1, run: "iso")])
        #expect(created.status == 202)
        let id = try #require(created.json["id"] as? String)
        #expect(id.hasPrefix("inline-"))
        #expect(try await fixture.request("GET", "/v1/backfills/\(id)", key: owner).status == 200)
        let other = try await fixture.request("GET", "/v1/backfills/\(id)", key: stranger)
        #expect(other.status == 404 && other.errorCode == "backfill_not_found")
    }
}
