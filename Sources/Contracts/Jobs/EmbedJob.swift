/// `embed.v1` (queue `embed`): texts to embed, each with the row its vector belongs to.
/// Integrations use it to embed their own documents; memorize uses it for memory items.
public struct EmbedJob: JobPayload {
    public static let type = JobCatalog.embed
    /// Bounds one job's size so one message is one reasonably sized batch; split larger sets.
    public static let maxItems = 1024

    /// Embedding space id (model, revision, dimensions). `nil` = the deployment's default.
    public var space: String?
    public var items: [Item]

    public init(space: String? = nil, items: [Item]) {
        self.space = space
        self.items = items
    }

    /// One text and where its vector goes.
    public struct Item: Codable, Hashable, Sendable {
        public var target: Target
        public var text: String
        /// Stored with a document's vector (ignored for memory items); string values only,
        /// so every language maps it the same way.
        public var metadata: [String: String]?

        public init(target: Target, text: String, metadata: [String: String]? = nil) {
            self.target = target
            self.text = text
            self.metadata = metadata
        }
    }

    /// The row a vector is written to; (space, kind, id) is the upsert key, so a redelivered
    /// job overwrites rather than duplicates.
    public struct Target: Codable, Hashable, Sendable {
        public var kind: Kind
        public var id: String

        public init(kind: Kind, id: String) {
            self.kind = kind
            self.id = id
        }

        public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
            /// A memory item of the tenant (its id).
            case memoryItem = "memory_item"
            /// A document an integration owns (its own id); created on first embed.
            case document
            /// A memorized message of the tenant (memgrid's row id for it).
            case message
        }
    }

    public func validate() throws {
        try ContractError.check(space.map { !$0.isEmpty } ?? true, "space", "must not be empty when present")
        try ContractError.check(
            (1...Self.maxItems).contains(items.count), "items", "must hold 1 to \(Self.maxItems) items")
        var seen = Set<Target>()
        for (index, item) in items.enumerated() {
            let field = "items[\(index)]"
            try ContractError.check(!item.target.id.isEmpty, "\(field).target.id", "must not be empty")
            try ContractError.check(!item.text.isEmpty, "\(field).text", "must not be empty")
            // Two texts for one row cannot both win, and a multi-row upsert would fail.
            try ContractError.check(seen.insert(item.target).inserted, "\(field).target", "appears twice in one job")
        }
    }
}
