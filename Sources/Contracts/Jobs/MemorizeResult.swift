/// What a `memorize.v1` job produced: stored as the job's result (shown by
/// `GET /v1/jobs/{id}`) and carried by its `job.completed` event.
public struct MemorizeResult: Codable, Hashable, Sendable {
    /// Items new to the user.
    public var created: [String]
    /// Items the user already had, stated again (their reinforcement count grew).
    public var reinforced: [String]
    /// Items the new facts replaced (kept, closed: `valid_until`, `superseded_by`).
    public var superseded: [String]
    /// The embed job that computes vectors for the created items, if any.
    public var embedJobID: String?
    /// `rules` (the offline extractor) or the LLM provider/model that extracted them.
    public var extractor: String

    public init(created: [String], reinforced: [String], superseded: [String] = [], embedJobID: String?, extractor: String) {
        self.created = created
        self.reinforced = reinforced
        self.superseded = superseded
        self.embedJobID = embedJobID
        self.extractor = extractor
    }

    /// Results stored before `superseded` existed read as superseding nothing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        created = try container.decode([String].self, forKey: .created)
        reinforced = try container.decode([String].self, forKey: .reinforced)
        superseded = try container.decodeIfPresent([String].self, forKey: .superseded) ?? []
        embedJobID = try container.decodeIfPresent(String.self, forKey: .embedJobID)
        extractor = try container.decode(String.self, forKey: .extractor)
    }

    enum CodingKeys: String, CodingKey {
        case created, reinforced, superseded, extractor
        case embedJobID = "embed_job_id"
    }
}
