public import Foundation
public import Logging
public import PostgresNIO

/// Memorized messages, verbatim: idempotent writes from memorize jobs. Every query names
/// the tenant. Searches over them live in `RecallRepository`; a user's purge in
/// `MemoryRepository.purge`.
public struct MessageRepository: Sendable {
    /// A message of a memorize job, before it is stored.
    public struct NewMessage: Sendable, Equatable {
        /// The client's id, or the one derived from the job (`MemorizeJob.messageID`).
        public var messageID: String
        public var position: Int
        public var role: String
        public var name: String?
        public var content: String
        public var sentAt: Date

        public init(messageID: String, position: Int, role: String, name: String?, content: String, sentAt: Date) {
            self.messageID = messageID
            self.position = position
            self.role = role
            self.name = name
            self.content = content
            self.sentAt = sentAt
        }

        /// What is embedded for the message (`embeddedTextSQL` says the same in SQL).
        public var embeddedText: String { MessageRepository.embeddedText(name: name, content: content) }
    }

    /// A message as stored.
    public struct Stored: Sendable, Equatable {
        /// memgrid's row id: the message's `embeddings.target_id`.
        public var id: String
        public var messageID: String
        /// The job that first stored it: only that job embeds it.
        public var jobID: String
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Stores the messages a job carries; a message the user already has (same message id)
    /// is kept as it was. Returns every message of `messages` as stored, in their order.
    public static func record(
        _ messages: [NewMessage], tenantID: String, userID: String, agentID: String?, resourceID: String?,
        jobID: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Stored] {
        guard !messages.isEmpty else { return [] }
        let ids = messages.map { _ in UUID().uuidString.lowercased() }
        try await connection.query("""
            INSERT INTO memory_messages (id, tenant_id, user_id, agent_id, message_id, resource_id, position, role, name, content, sent_at, job_id)
            SELECT i, \(tenantID), \(userID), \(agentID), mi, \(resourceID), p, r, nullif(n, ''), c, s, \(jobID)
            FROM unnest(\(ids), \(messages.map(\.messageID)), \(messages.map(\.position)), \(messages.map(\.role)),
                        \(messages.map { $0.name ?? "" }), \(messages.map(\.content)), \(messages.map(\.sentAt))) AS u(i, mi, p, r, n, c, s)
            ON CONFLICT (tenant_id, user_id, coalesce(agent_id, ''), message_id) DO NOTHING
            """, logger: logger)
        let rows = try await connection.query("""
            SELECT id, message_id, job_id FROM memory_messages
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND coalesce(agent_id, '') = coalesce(\(agentID)::text, '')
              AND message_id = ANY(\(messages.map(\.messageID)))
            """, logger: logger)
        var byMessageID: [String: Stored] = [:]
        for try await (id, messageID, job) in rows.decode((String, String, String).self) {
            byMessageID[messageID] = Stored(id: id, messageID: messageID, jobID: job)
        }
        return messages.compactMap { byMessageID[$0.messageID] }
    }

    /// "Name: content" when the speaker is known, so a question that names them finds
    /// what they said; else the content.
    public static func embeddedText(name: String?, content: String) -> String {
        guard let name, !name.isEmpty else { return content }
        return "\(name): \(content)"
    }

    /// `embeddedText` over the columns of `memory_messages` aliased `alias`.
    static func embeddedTextSQL(_ alias: String) -> String {
        "CASE WHEN coalesce(\(alias).name, '') = '' THEN \(alias).content ELSE \(alias).name || ': ' || \(alias).content END"
    }
}
