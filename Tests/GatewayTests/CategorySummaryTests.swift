import Foundation
import Testing
import TestSupport

/// Memorize → `memory.created` → the proactive agent's debounced refresh → `summarize.v1`
/// in the LLM worker (offline here) → `GET /v1/users/{user_id}/categories`.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct CategorySummaryTests {
    static func categories(_ user: String, key: String, on fixture: GatewayFixture) async throws -> [String: [String: Any]] {
        let reply = try await fixture.request("GET", "/v1/users/\(user)/categories", key: key)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return Dictionary(uniqueKeysWithValues: reply.data.compactMap { category in
            (category["name"] as? String).map { ($0, category) }
        })
    }

    @Test func newMemoriesGetTheirCategorySummariesWritten() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "summary-tenant")
        let job = try await GatewayAPITests.memorize(
            "I really like green tea. My favorite food is ramen. I use Obsidian for notes.", user: "sam", key: key, on: fixture)
        let created = (job["result"] as? [String: Any])?["created"] as? [String] ?? []
        #expect(created.count == 3)

        var found: [String: [String: Any]] = [:]
        let summarized = try await TestBroker.eventually(timeout: .seconds(30)) {
            found = try await Self.categories("sam", key: key, on: fixture)
            return ["food", "preferences", "tools"].allSatisfy { found[$0]?["summary"] is String }
        }
        #expect(summarized, "\(found)")
        let food = try #require(found["food"])
        let summary = try #require(food["summary"] as? String)
        #expect(summary.contains("Likes green tea.") && summary.contains("Favorite food is ramen."))
        #expect(Set(food["summary_item_ids"] as? [String] ?? []).isSubset(of: Set(created)))
        #expect((food["summary_item_ids"] as? [String])?.count == 2)
        #expect(food["item_count"] as? Int == 2)
        #expect(found["tools"]?["summary"] as? String == "Uses Obsidian for notes.")

        let stranger = try await fixture.key(tenant: "other-summary-tenant")
        #expect(try await Self.categories("sam", key: stranger, on: fixture).isEmpty, "categories are tenant-scoped")
    }

    /// Summaries follow changes, not only new memories: a superseded fact leaves its
    /// category's summary, and deleting a category's last item clears it.
    @Test func summariesFollowSupersededAndDeletedMemories() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "summary-change-tenant")
        _ = try await GatewayAPITests.memorize("I live in Lyon. I use Obsidian for notes.", user: "kim", key: key, on: fixture)
        var found: [String: [String: Any]] = [:]
        #expect(try await TestBroker.eventually(timeout: .seconds(30)) {
            found = try await Self.categories("kim", key: key, on: fixture)
            return found["location"]?["summary"] as? String == "Lives in Lyon." && found["tools"]?["summary"] is String
        }, "\(found)")
        _ = try await GatewayAPITests.memorize("I moved to Porto.", user: "kim", key: key, on: fixture)
        let tools = try #require((found["tools"]?["summary_item_ids"] as? [String])?.first)
        #expect(try await fixture.request("DELETE", "/v1/memories/\(tools)", key: key).status == 200)
        #expect(try await TestBroker.eventually(timeout: .seconds(30)) {
            found = try await Self.categories("kim", key: key, on: fixture)
            return found["location"]?["summary"] as? String == "Moved to Porto." && found["tools"]?["summary"] == nil
        }, "\(found)")
        #expect(found["location"]?["item_count"] as? Int == 1)
    }

    @Test func theUsersTimeZoneResolvesStatedTimes() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "zone-tenant")
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key,
            json: [
                "user_id": "zoe", "occurred_at": "2026-03-10T14:00:00Z", "time_zone": "Asia/Shanghai",
                "messages": [["role": "user", "content": "I have a call at 5pm."]],
            ])
        #expect(reply.status == 202)
        _ = try await GatewayAPITests.finished(reply.json["id"] as! String, key: key, on: fixture)
        let memories = try await fixture.request("GET", "/v1/memories?user_id=zoe", key: key)
        // 22:00 in Shanghai when said, so 5pm is the next day's: 09:00 UTC.
        #expect(memories.data.first?["happened_at"] as? String == "2026-03-11T09:00:00.000Z")

        let bad = try await fixture.request(
            "POST", "/v1/memorize", key: key,
            json: ["user_id": "zoe", "time_zone": "Mars/Olympus", "messages": [["role": "user", "content": "Hi"]]])
        #expect(bad.status == 400)
        #expect((bad.json["error"] as? [String: Any])?["param"] as? String == "time_zone")
    }
}
