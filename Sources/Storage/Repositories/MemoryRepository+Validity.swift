public import Contracts
import Foundation
import Logging
import PostgresNIO

extension MemoryRepository {
    /// Closes the current items of `item`'s slot (same tenant, user and agent): each one
    /// said at or before it is superseded by it; if one was said after it (an older
    /// conversation memorized late), `item` itself is closed by that one. Returns the
    /// items it closed.
    static func closeSlot(of item: Item, origin: Origin, on connection: PostgresConnection, logger: Logger) async throws -> [Item] {
        guard let slot = item.slot, item.validUntil == nil else { return [] }
        let rivals = try await items(on: connection, """
            SELECT \(unescaped: columns) FROM memory_items
            WHERE tenant_id = \(item.tenantID) AND user_id = \(item.userID) AND coalesce(agent_id, '') = \(item.agentID ?? "")
              AND slot = \(slot) AND valid_until IS NULL AND id <> \(item.id)
            ORDER BY valid_from, id FOR UPDATE
            """, logger: logger)
        var closed: [Item] = []
        for rival in rivals {
            if rival.validFrom <= item.validFrom {
                if let done = try await close(rival.id, by: item, origin: origin, on: connection, logger: logger) { closed.append(done) }
            } else {
                if let done = try await close(item.id, by: rival, origin: origin, on: connection, logger: logger) { closed.append(done) }
                break
            }
        }
        return closed
    }

    /// Closes the user's current item `oldID` as replaced by `newer` (from `newer`'s
    /// `valid_from`), cancels its reminders, notes `superseded` in its history and queues
    /// `memory.superseded`. Nil when there is no such current item of that user.
    static func close(_ oldID: String, by newer: Item, origin: Origin, on connection: PostgresConnection, logger: Logger) async throws
        -> Item?
    {
        guard let closed = try await items(on: connection, """
            UPDATE memory_items SET valid_until = greatest(valid_from, \(newer.validFrom)), superseded_by = \(newer.id), updated_at = now()
            WHERE tenant_id = \(newer.tenantID) AND user_id = \(newer.userID) AND id = \(oldID) AND id <> \(newer.id)
              AND valid_until IS NULL
            RETURNING \(unescaped: columns)
            """, logger: logger).first
        else { return nil }
        try await cancelReminders(
            of: [closed.id], tenantID: closed.tenantID, reason: "superseded by \(newer.id)", on: connection, logger: logger)
        try await MemoryHistoryRepository.note(
            [.init(item: closed, action: .superseded, origin: origin, relatedID: newer.id)], on: connection, logger: logger)
        try await EventOutbox.add(
            [event(about: closed, id: "\(closed.id):memory.superseded:\(newer.id)", origin: origin,
                   payload: MemorySuperseded(memory: closed.ref, supersededBy: newer.id, validUntil: closed.validUntil ?? newer.validFrom))],
            on: connection, logger: logger)
        return closed
    }
}

extension MemoryRepository.Item {
    /// What change events say about the item.
    public var ref: MemoryRef {
        MemoryRef(memoryID: id, userID: userID, agentID: agentID, memoryType: type, categories: categories)
    }
}
