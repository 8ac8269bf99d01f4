/// `memory.created`: a memory item was stored. The proactive agent reacts to it.
public struct MemoryCreated: EventPayload {
    public static let type = EventCatalog.memoryCreated

    public var memoryID: String
    public var userID: String
    public var agentID: String?
    /// e.g. `profile`, `event`, `knowledge`, `behavior`; open-ended, so new types need no
    /// contract change.
    public var memoryType: String
    /// Category names the item was filed under; may be empty.
    public var categories: [String]

    public init(memoryID: String, userID: String, agentID: String? = nil, memoryType: String, categories: [String]) {
        self.memoryID = memoryID
        self.userID = userID
        self.agentID = agentID
        self.memoryType = memoryType
        self.categories = categories
    }

    enum CodingKeys: String, CodingKey {
        case categories
        case memoryID = "memory_id"
        case userID = "user_id"
        case agentID = "agent_id"
        case memoryType = "memory_type"
    }

    /// The fields every `memory.*` payload starts with (`MemoryRef`).
    public static var schema: JSONSchema { MemoryRef.schema(adding: [:], required: []) }
}
