/// `consolidate.v1` (queue `proactive`): merge one user's near-duplicate memory items.
/// The proactive agent's maintenance schedule publishes one per user and run.
public struct ConsolidateJob: JobPayload {
    public static let type = JobCatalog.consolidate

    public var userID: String
    /// Cosine similarity at or above which two items of the same type are one memory;
    /// `nil` = the worker's configured threshold.
    public var threshold: Double?

    public init(userID: String, threshold: Double? = nil) {
        self.userID = userID
        self.threshold = threshold
    }

    public func validate() throws {
        try ContractError.check(!userID.isEmpty, "user_id", "must not be empty")
        try ContractError.check(threshold.map { $0 > 0 && $0 <= 1 } ?? true, "threshold", "must be in (0, 1]")
    }

    enum CodingKeys: String, CodingKey {
        case threshold
        case userID = "user_id"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "user_id": .identifier(),
                "threshold": JSONSchema.number(minimum: 0, description: "Cosine similarity in (0, 1]; absent = the worker's setting.")
                    .nullable(),
            ],
            required: ["user_id"])
    }
}
