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
        public var role: Role
        public var content: String
        public var createdAt: Date?

        public init(role: Role, content: String, createdAt: Date? = nil) {
            self.role = role
            self.content = content
            self.createdAt = createdAt
        }

        public enum Role: String, Codable, Hashable, Sendable, CaseIterable {
            case system, user, assistant, tool
        }

        enum CodingKeys: String, CodingKey {
            case role, content
            case createdAt = "created_at"
        }
    }

    public func validate() throws {
        try ContractError.check(!userID.isEmpty, "user_id", "must not be empty")
        try ContractError.check(agentID.map { !$0.isEmpty } ?? true, "agent_id", "must not be empty when present")
        try ContractError.check(
            resourceID.map { !$0.isEmpty } ?? true, "resource_id", "must not be empty when present")
        try ContractError.check(!messages.isEmpty, "messages", "must hold at least one message")
        try ContractError.check(
            timeZone.map { TimeZone(identifier: $0) != nil } ?? true, "time_zone", "must be an IANA time zone such as Asia/Shanghai")
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
