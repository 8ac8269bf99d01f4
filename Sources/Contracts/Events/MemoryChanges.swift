public import Foundation

/// `memory.updated`: an item was edited (`PATCH /v1/memories/{id}`). The payload names
/// what changed, never the text: consumers read the item if they need it.
public struct MemoryUpdated: EventPayload {
    public static let type = EventCatalog.memoryUpdated

    /// Field names among `text`, `type`, `categories`, `happened_at`, `metadata`.
    public static let fields = ["text", "type", "categories", "happened_at", "metadata"]

    public var memory: MemoryRef
    public var changed: [String]

    public init(memory: MemoryRef, changed: [String]) {
        self.memory = memory
        self.changed = changed
    }

    public init(from decoder: any Decoder) throws {
        memory = try MemoryRef(from: decoder)
        changed = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .changed)
    }

    public func encode(to encoder: any Encoder) throws {
        try memory.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(changed, forKey: .changed)
    }

    enum CodingKeys: String, CodingKey { case changed }

    public static var schema: JSONSchema {
        MemoryRef.schema(adding: ["changed": .array(of: .string(oneOf: fields))], required: ["changed"])
    }
}

/// `memory.superseded`: a newer fact replaced an item about the same single-valued thing
/// (where the user lives, their employer…). The old item is kept, closed at `valid_until`.
public struct MemorySuperseded: EventPayload {
    public static let type = EventCatalog.memorySuperseded

    /// The old item.
    public var memory: MemoryRef
    public var supersededBy: String
    public var validUntil: Date

    public init(memory: MemoryRef, supersededBy: String, validUntil: Date) {
        self.memory = memory
        self.supersededBy = supersededBy
        self.validUntil = validUntil
    }

    public init(from decoder: any Decoder) throws {
        memory = try MemoryRef(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        supersededBy = try container.decode(String.self, forKey: .supersededBy)
        validUntil = try container.decode(Date.self, forKey: .validUntil)
    }

    public func encode(to encoder: any Encoder) throws {
        try memory.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(supersededBy, forKey: .supersededBy)
        try container.encode(validUntil, forKey: .validUntil)
    }

    enum CodingKeys: String, CodingKey {
        case supersededBy = "superseded_by"
        case validUntil = "valid_until"
    }

    public static var schema: JSONSchema {
        MemoryRef.schema(
            adding: ["superseded_by": .identifier("The item that replaced it."), "valid_until": .timestamp()],
            required: ["superseded_by", "valid_until"])
    }
}

/// `memory.deleted`: an item is gone: deleted by a client, expired (time to live), or
/// merged into a duplicate by consolidation (`merged_into`).
public struct MemoryDeleted: EventPayload {
    public static let type = EventCatalog.memoryDeleted

    public enum Reason: String, Codable, Sendable, CaseIterable {
        case deleted, expired, consolidated
    }

    public var memory: MemoryRef
    public var reason: Reason
    public var mergedInto: String?

    public init(memory: MemoryRef, reason: Reason, mergedInto: String? = nil) {
        self.memory = memory
        self.reason = reason
        self.mergedInto = mergedInto
    }

    public init(from decoder: any Decoder) throws {
        memory = try MemoryRef(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        reason = try container.decode(Reason.self, forKey: .reason)
        mergedInto = try container.decodeIfPresent(String.self, forKey: .mergedInto)
    }

    public func encode(to encoder: any Encoder) throws {
        try memory.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(mergedInto, forKey: .mergedInto)
    }

    enum CodingKeys: String, CodingKey {
        case reason
        case mergedInto = "merged_into"
    }

    public static var schema: JSONSchema {
        MemoryRef.schema(
            adding: [
                "reason": .string(oneOf: Reason.allCases.map(\.rawValue)),
                "merged_into": JSONSchema.identifier("The surviving item (reason consolidated).").nullable(),
            ],
            required: ["reason"])
    }
}

/// The item a change event is about: the fields every `memory.*` payload starts with.
public struct MemoryRef: Codable, Hashable, Sendable {
    public var memoryID: String
    public var userID: String
    public var agentID: String?
    public var memoryType: String
    public var categories: [String]

    public init(memoryID: String, userID: String, agentID: String?, memoryType: String, categories: [String]) {
        self.memoryID = memoryID
        self.userID = userID
        self.agentID = agentID
        self.memoryType = memoryType
        self.categories = categories
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(memoryID, forKey: .memoryID)
        try container.encode(userID, forKey: .userID)
        try container.encodeIfPresent(agentID, forKey: .agentID)
        try container.encode(memoryType, forKey: .memoryType)
        try container.encode(categories, forKey: .categories)
    }

    enum CodingKeys: String, CodingKey {
        case categories
        case memoryID = "memory_id"
        case userID = "user_id"
        case agentID = "agent_id"
        case memoryType = "memory_type"
    }

    static func schema(adding fields: [String: JSONSchema], required: [String]) -> JSONSchema {
        .object(
            [
                "memory_id": .identifier(),
                "user_id": .identifier(),
                "agent_id": JSONSchema.identifier().nullable(),
                "memory_type": .identifier("e.g. profile, event, knowledge, behavior; open-ended."),
                "categories": .array(of: .identifier()),
            ].merging(fields) { $1 },
            required: ["memory_id", "user_id", "memory_type", "categories"] + required)
    }
}

/// `user.erased`: everything memgrid held for one user of the tenant was removed
/// (`DELETE /v1/users/{user_id}`), with the count removed from each store.
public struct UserErased: EventPayload {
    public static let type = EventCatalog.userErased

    public struct Removed: Codable, Hashable, Sendable {
        public var memories = 0
        public var messages = 0
        public var vectors = 0
        public var reminders = 0
        public var categories = 0
        public var documents = 0
        public var jobs = 0
        public var history = 0
        public var cacheEntries = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case memories, messages, vectors, reminders, categories, documents, jobs, history
            case cacheEntries = "cache_entries"
        }

        static var schema: JSONSchema {
            let names = ["memories", "messages", "vectors", "reminders", "categories", "documents", "jobs", "history", "cache_entries"]
            return .object(Dictionary(uniqueKeysWithValues: names.map { ($0, JSONSchema.integer(minimum: 0)) }), required: names)
        }
    }

    public var userID: String
    public var removed: Removed

    public init(userID: String, removed: Removed) {
        self.userID = userID
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case removed
        case userID = "user_id"
    }

    public static var schema: JSONSchema {
        .object(["user_id": .identifier(), "removed": Removed.schema], required: ["user_id", "removed"])
    }
}
