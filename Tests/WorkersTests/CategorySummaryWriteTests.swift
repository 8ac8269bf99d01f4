import PostgresNIO
import Storage
import Testing
import TestSupport

/// A summary is written from items read earlier; by the time it is stored, some may be
/// gone, or the whole user erased.
@Suite("Category summaries written while their items go away, against the real servers")
struct CategorySummaryWriteTests {
    @Test("a summary keeps only the items still there; with none left (the user erased meanwhile) nothing is stored; clearing creates no row")
    func summariesOfRemovedItems() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let categories = CategoryRepository(client: client)
            func summaries() async throws -> [String] {
                try await fixture.strings(
                    "SELECT name || ':' || array_to_string(summary_item_ids, ',') FROM memory_categories ORDER BY name", client: client)
            }
            let tea = try await fixture.plant("likes tea", vector: nil, categories: ["food"], job: "j1", client: client)
            let other = try await fixture.plant("likes soup", vector: nil, user: "u2", categories: ["food"], job: "j1", client: client)
            try await categories.setSummary(
                tenantID: "t1", userID: "u1", category: "food", summary: "Likes tea and soup.", itemIDs: ["deleted-item", tea, other],
                logger: fixture.logger)
            #expect(try await summaries() == ["food:\(tea)"])

            _ = try await UserErasure(client: client).erase(
                tenantID: "t1", userID: "u1", requestID: "r1", logger: fixture.logger, clearCache: { _, _ in 0 })
            // A summary job that read u1's items before the erasure finishes after it.
            try await categories.setSummary(
                tenantID: "t1", userID: "u1", category: "food", summary: "Likes tea.", itemIDs: [tea], logger: fixture.logger)
            try await categories.setSummary(
                tenantID: "t1", userID: "u1", category: "drinks", summary: nil, itemIDs: [], logger: fixture.logger)
            #expect(try await summaries().isEmpty)
        }
    }
}
