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
        /// The message before it in the conversation, as `speakerLine` writes it.
        public var context: String?

        public init(messageID: String, position: Int, role: String, name: String?, content: String, sentAt: Date, context: String? = nil) {
            self.messageID = messageID
            self.position = position
            self.role = role
            self.name = name
            self.content = content
            self.sentAt = sentAt
            self.context = context
        }

        /// What is embedded for the message (`embeddedTextSQL` says the same in SQL): its
        /// speaker line, then the message before it. The context made LoCoMo evidence
        /// recall 0.70 → 0.75 (docs/benchmarks.md); it comes second so that a long one
        /// is what the model's 256 tokens cut, never the message itself.
        public var embeddedText: String {
            let line = MessageRepository.speakerLine(name: name, role: role, content: content)
            guard let context, !context.isEmpty else { return line }
            return "\(line)\n\(context)"
        }
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
            INSERT INTO memory_messages (id, tenant_id, user_id, agent_id, message_id, resource_id, position, role, name, content, context, sent_at, job_id)
            SELECT i, \(tenantID), \(userID), \(agentID), mi, \(resourceID), p, r, nullif(n, ''), c, nullif(x, ''), s, \(jobID)
            FROM unnest(\(ids), \(messages.map(\.messageID)), \(messages.map(\.position)), \(messages.map(\.role)),
                        \(messages.map { $0.name ?? "" }), \(messages.map(\.content)), \(messages.map { $0.context ?? "" }),
                        \(messages.map(\.sentAt))) AS u(i, mi, p, r, n, c, x, s)
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

    /// "Name: content", so a question that names the speaker finds what they said; the
    /// role stands in for an unnamed speaker ("assistant: …").
    public static func speakerLine(name: String?, role: String, content: String) -> String {
        "\(name.flatMap { $0.isEmpty ? nil : $0 } ?? role): \(content)"
    }

    /// `NewMessage.embeddedText` over the columns of `memory_messages` aliased `alias`.
    static func embeddedTextSQL(_ alias: String) -> String {
        """
        coalesce(nullif(\(alias).name, ''), \(alias).role) || ': ' || \(alias).content
            || CASE WHEN coalesce(\(alias).context, '') = '' THEN '' ELSE E'\\n' || \(alias).context END
        """
    }
}
