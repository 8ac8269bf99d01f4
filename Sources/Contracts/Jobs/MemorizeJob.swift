public import Foundation

/// `memorize.v1` (queue `llm`): a conversation to turn into memory items for one user.
public struct MemorizeJob: JobPayload {
    public static let type = JobCatalog.memorize

    public var userID: String
    /// Scopes the memories to one agent of the user; `nil` = shared by all the user's agents.
    public var agentID: String?
    public var messages: [Message]
    /// The stored source (conversation/document) these messages come from, if any.
    public var resourceID: String?
    /// When the conversation happened; `nil` = when the job is processed.
    public var occurredAt: Date?
    /// The user's IANA time zone (`Asia/Shanghai`): "tomorrow at 3pm" is read in it.
    /// `nil` = UTC.
    public var timeZone: String?

    public init(
        userID: String,
        agentID: String? = nil,
        messages: [Message],
        resourceID: String? = nil,
        occurredAt: Date? = nil,
        timeZone: String? = nil
    ) {
        self.userID = userID
        self.agentID = agentID
        self.messages = messages
        self.resourceID = resourceID
        self.occurredAt = occurredAt
        self.timeZone = timeZone
    }

    /// One chat message, with OpenAI's role names.
    public struct Message: Codable, Hashable, Sendable {
        /// Longest client message id.
        public static let maxIDLength = 256

        public var role: Role
        public var content: String
        public var createdAt: Date?
        /// The speaker (OpenAI's optional `name`), for conversations with several people.
        public var name: String?
        /// The client's id for the message; absent = memgrid derives one from the job id
        /// and the message's position, so a redelivered job stores the same message.
        public var id: String?

        public init(role: Role, content: String, createdAt: Date? = nil, name: String? = nil, id: String? = nil) {
            self.role = role
            self.content = content
            self.createdAt = createdAt
            self.name = name
            self.id = id
        }

        public enum Role: String, Codable, Hashable, Sendable, CaseIterable {
            case system, user, assistant, tool
        }

        enum CodingKeys: String, CodingKey {
            case role, content, name, id
            case createdAt = "created_at"
        }
    }

    public func validate() throws {
        try ContractError.check(!userID.isEmpty, "user_id", "must not be empty")
        try ContractError.check(agentID.map { !$0.isEmpty } ?? true, "agent_id", "must not be empty when present")
        try ContractError.check(
            resourceID.map { !$0.isEmpty } ?? true, "resource_id", "must not be empty when present")
        try ContractError.check(!messages.isEmpty, "messages", "must hold at least one message")
        var ids = Set<String>()
        for (index, message) in messages.enumerated() {
            if let name = message.name {
                try ContractError.check(
                    !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && name.count <= 256,
                    "messages[\(index)].name", "must be 1 to 256 characters when present")
            }
            guard let id = message.id else { continue }
            try ContractError.check(
                (1...Message.maxIDLength).contains(id.count) && id.unicodeScalars.allSatisfy(Self.isPrintable),
                "messages[\(index)].id", "must be 1 to \(Message.maxIDLength) printable characters")
            try ContractError.check(ids.insert(id).inserted, "messages[\(index)].id", "appears twice in one conversation")
        }
        try ContractError.check(
            timeZone.map { TimeZone(identifier: $0) != nil } ?? true, "time_zone", "must be an IANA time zone such as Asia/Shanghai")
    }

    /// The id a message is stored under: the client's, else one derived from the job id
    /// and its position (stable across redeliveries).
    public static func messageID(_ message: Message, at position: Int, jobID: String) -> String {
        message.id ?? "\(jobID.prefix(Message.maxIDLength - 8)):\(position)"
    }

    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .lineSeparator, .paragraphSeparator, .surrogate: false
        default: true
        }
    }

    enum CodingKeys: String, CodingKey {
        case messages
        case userID = "user_id"
        case agentID = "agent_id"
        case resourceID = "resource_id"
        case occurredAt = "occurred_at"
        case timeZone = "time_zone"
    }
}
