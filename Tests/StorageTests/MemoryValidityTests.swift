import Contracts
import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

/// Supersession in `MemoryRepository.record`: by slot, in the order facts were said,
/// idempotent under redelivery, with history rows and outbox events exactly once.
@Suite("Memory validity")
struct MemoryValidityTests {
    static let january = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
    static let june = january.addingTimeInterval(151 * 86400)

    static func item(_ text: String, slot: String?, at time: Date, supersedes: [String] = []) -> MemoryRepository.NewItem {
        MemoryRepository.NewItem(
            type: "profile", text: text, contentHash: "hash:\(text)", categories: ["location"], happenedAt: nil, validFrom: time,
            slot: slot, supersedes: supersedes)
    }

    static func record(_ items: [MemoryRepository.NewItem], job: String, client: PostgresClient, logger: Logger) async throws
        -> MemoryRepository.Recorded
    {
        try await client.withTransaction(logger: logger) { connection in
            try await MemoryRepository(client: client).record(
                items, tenantID: "acme", userID: "u", agentID: nil, resourceID: nil, source: job, origin: .job(job), on: connection,
                logger: logger)
        }
    }

    static func count(_ sql: String, client: PostgresClient, logger: Logger) async throws -> Int {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { return value }
        return 0
    }

    @Test func aNewerFactOfTheSameSlotClosesTheOldOnceEvenWhenRedelivered() async throws {
        try await MessageRepositoryTests.withDatabase { client, logger in
            let lisbon = try await Self.record([Self.item("Lives in Lisbon", slot: "residence", at: Self.january)], job: "j1", client: client, logger: logger)
            let berlin = Self.item("Moved to Berlin", slot: "residence", at: Self.june)
            let first = try await Self.record([berlin, Self.item("Likes tea", slot: nil, at: Self.june)], job: "j2", client: client, logger: logger)
            #expect(first.superseded.map(\.id) == lisbon.items.map(\.id))
            let again = try await Self.record([berlin, Self.item("Likes tea", slot: nil, at: Self.june)], job: "j2", client: client, logger: logger)
            #expect(again.superseded.isEmpty)
            // The older job redelivered after the move does not reopen Lisbon.
            _ = try await Self.record([Self.item("Lives in Lisbon", slot: "residence", at: Self.january)], job: "j1", client: client, logger: logger)
            let stored = try await MemoryRepository(client: client).get(id: lisbon.items[0].id, tenantID: "acme", logger: logger)
            #expect(stored?.validUntil == Self.june)
            #expect(stored?.supersededBy == first.items.first { $0.text == "Moved to Berlin" }?.id)
            #expect(try await Self.count("SELECT count(*)::int FROM memory_item_history WHERE action = 'superseded'", client: client, logger: logger) == 1)
            #expect(try await Self.count("SELECT count(*)::int FROM memory_item_history WHERE action = 'created'", client: client, logger: logger) == 3)
            #expect(try await Self.count("SELECT count(*)::int FROM event_outbox WHERE routing_key = 'memory.superseded'", client: client, logger: logger) == 1)
            #expect(try await Self.count("SELECT count(*)::int FROM memory_items WHERE valid_until IS NULL", client: client, logger: logger) == 2)
        }
    }

    @Test func saidAgainAfterItWasReplacedAFactIsCurrentAgain() async throws {
        try await MessageRepositoryTests.withDatabase { client, logger in
            let lisbon = try await Self.record([Self.item("Lives in Lisbon", slot: "residence", at: Self.january)], job: "j1", client: client, logger: logger)
            let berlin = try await Self.record([Self.item("Moved to Berlin", slot: "residence", at: Self.june)], job: "j2", client: client, logger: logger)
            let back = try await Self.record(
                [Self.item("Lives in Lisbon", slot: "residence", at: Self.june.addingTimeInterval(86400))], job: "j3", client: client, logger: logger)
            #expect(back.items.map(\.id) == lisbon.items.map(\.id))
            #expect(back.items.first?.validUntil == nil)
            #expect(back.superseded.map(\.id) == berlin.items.map(\.id))
            let history = try await MemoryHistoryRepository(client: client).versions(itemID: lisbon.items[0].id, tenantID: "acme", logger: logger)
            #expect(history.map(\.action) == [.created, .superseded, .restored, .reinforced])
        }
    }

    @Test func anOlderFactMemorizedLateIsStoredClosed() async throws {
        try await MessageRepositoryTests.withDatabase { client, logger in
            let berlin = try await Self.record([Self.item("Moved to Berlin", slot: "residence", at: Self.june)], job: "j2", client: client, logger: logger)
            let old = try await Self.record([Self.item("Lives in Lisbon", slot: "residence", at: Self.january)], job: "j1", client: client, logger: logger)
            #expect(old.items.first?.supersededBy == berlin.items.first?.id)
            #expect(old.items.first?.validUntil == Self.june)
            let current = try await MemoryRepository(client: client).get(id: berlin.items[0].id, tenantID: "acme", logger: logger)
            #expect(current?.validUntil == nil)
        }
    }

    @Test func anExplicitSupersedeClosesOnlyTheUsersCurrentItem() async throws {
        try await MessageRepositoryTests.withDatabase { client, logger in
            let tea = try await Self.record([Self.item("Likes green tea", slot: nil, at: Self.january)], job: "j1", client: client, logger: logger)
            let stranger = try await client.withTransaction(logger: logger) { connection in
                try await MemoryRepository(client: client).record(
                    [Self.item("Likes coffee", slot: nil, at: Self.january)], tenantID: "other", userID: "u", agentID: nil, resourceID: nil,
                    source: "j0", origin: .job("j0"), on: connection, logger: logger)
            }
            let recorded = try await Self.record(
                [Self.item("Prefers coffee now", slot: nil, at: Self.june, supersedes: [tea.items[0].id, stranger.items[0].id])],
                job: "j2", client: client, logger: logger)
            #expect(recorded.superseded.map(\.id) == tea.items.map(\.id))
            #expect(try await MemoryRepository(client: client).get(id: stranger.items[0].id, tenantID: "other", logger: logger)?.validUntil == nil)
        }
    }
}
