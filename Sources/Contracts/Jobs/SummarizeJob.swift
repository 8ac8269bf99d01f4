/// `summarize.v1` (queue `llm`): rewrite the summaries of some of a user's memory
/// categories from their items. The proactive agent publishes it, debounced per user.
public struct SummarizeJob: JobPayload {
    public static let type = JobCatalog.summarize
    /// Bounds one job: a user with more categories gets several jobs.
    public static let maxCategories = 64

    public var userID: String
    /// Category names to refresh.
    public var categories: [String]

    public init(userID: String, categories: [String]) {
        self.userID = userID
        self.categories = categories
    }

    public func validate() throws {
        try ContractError.check(!userID.isEmpty, "user_id", "must not be empty")
        try ContractError.check(!categories.isEmpty, "categories", "must name at least one category")
        try ContractError.check(
            categories.count <= Self.maxCategories, "categories", "must name at most \(Self.maxCategories) categories")
        try ContractError.check(!categories.contains(""), "categories", "must not contain an empty name")
    }

    enum CodingKeys: String, CodingKey {
        case categories
        case userID = "user_id"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "user_id": .identifier(),
                "categories": .array(of: .identifier(), minItems: 1),
            ],
            required: ["user_id", "categories"])
    }
}
