public import Foundation
public import Logging
public import PostgresNIO

/// Every version of a memory item, oldest first: what each change made of it, when, and
/// who (a job or an HTTP request). Rows outlive the item (a deleted item still has its
/// history) until the user is erased.
public struct MemoryHistoryRepository: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case created, reinforced, edited, superseded, restored, consolidated, expired, deleted
    }

    public struct Version: Sendable, Equatable {
        public var itemID: String
        public var action: Action
        /// The item's text after the change.
        public var text: String
        public var at: Date
        public var jobID: String?
        public var requestID: String?
        /// The newer item (superseded), the surviving one (consolidated).
        public var relatedID: String?
    }

    /// A change to note, in the caller's transaction.
    struct Entry {
        var item: MemoryRepository.Item
        var action: Action
        var origin: MemoryRepository.Origin
        var relatedID: String?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The item's versions, oldest first; empty if the tenant never had it.
    public func versions(itemID: String, tenantID: String, logger: Logger) async throws -> [Version] {
        let rows = try await client.query("""
            SELECT item_id, action, text, at, job_id, request_id, related_id FROM memory_item_history
            WHERE tenant_id = \(tenantID) AND item_id = \(itemID) ORDER BY id
            """, logger: logger)
        var found: [Version] = []
        for try await (item, action, text, at, job, request, related)
            in rows.decode((String, String, String, Date, String?, String?, String?).self)
        {
            found.append(Version(
                itemID: item, action: Action(rawValue: action) ?? .edited, text: text, at: at, jobID: job, requestID: request,
                relatedID: related))
        }
        return found
    }

    static func note(_ entries: [Entry], on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        // Optional ids travel as "" (unnest() of arrays with NULLs needs no tricks then).
        try await connection.query("""
            INSERT INTO memory_item_history (tenant_id, user_id, item_id, action, text, job_id, request_id, related_id)
            SELECT t, u, i, a, x, nullif(j, ''), nullif(r, ''), nullif(o, '')
            FROM unnest(\(entries.map(\.item.tenantID)), \(entries.map(\.item.userID)), \(entries.map(\.item.id)),
                        \(entries.map(\.action.rawValue)), \(entries.map(\.item.text)), \(entries.map { $0.origin.jobID ?? "" }),
                        \(entries.map { $0.origin.requestID ?? "" }), \(entries.map { $0.relatedID ?? "" })) AS e(t, u, i, a, x, j, r, o)
            """, logger: logger)
    }
}
