/// What a `memorize.v1` job produced: stored as the job's result (shown by
/// `GET /v1/jobs/{id}`) and carried by its `job.completed` event.
public struct MemorizeResult: Codable, Hashable, Sendable {
    /// Items new to the user.
    public var created: [String]
    /// Items the user already had, stated again (their reinforcement count grew).
    public var reinforced: [String]
    /// The embed job that computes vectors for the created items, if any.
    public var embedJobID: String?
    /// `rules` (the offline extractor) or the LLM provider/model that extracted them.
    public var extractor: String

    public init(created: [String], reinforced: [String], embedJobID: String?, extractor: String) {
        self.created = created
        self.reinforced = reinforced
        self.embedJobID = embedJobID
        self.extractor = extractor
    }

    enum CodingKeys: String, CodingKey {
        case created, reinforced, extractor
        case embedJobID = "embed_job_id"
    }
}
