/// `embedding.completed`: an embed job stored all its vectors.
public struct EmbeddingCompleted: EventPayload {
    public static let type = EventCatalog.embeddingCompleted

    public var jobID: String
    /// The embedding space the vectors were written to (the default resolved to its id).
    public var space: String
    /// Vectors written.
    public var count: Int
    /// How many of `count` came from the embedding cache rather than the model.
    public var cached: Int

    public init(jobID: String, space: String, count: Int, cached: Int) {
        self.jobID = jobID
        self.space = space
        self.count = count
        self.cached = cached
    }

    enum CodingKeys: String, CodingKey {
        case space, count, cached
        case jobID = "job_id"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "job_id": .identifier(),
                "space": .identifier("Embedding space id the vectors were written to."),
                "count": .integer(minimum: 0, description: "Vectors written."),
                "cached": .integer(minimum: 0, description: "How many of count came from the cache."),
            ],
            required: ["job_id", "space", "count", "cached"])
    }
}
