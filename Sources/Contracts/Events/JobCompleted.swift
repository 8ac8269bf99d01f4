/// `job.completed`: a job finished and its result is durable (committed before the ack).
public struct JobCompleted: EventPayload {
    public static let type = EventCatalog.jobCompleted

    /// The job's envelope id (= AMQP `message_id`).
    public var jobID: String
    /// The job's AMQP `type`, e.g. `embed.v1`.
    public var jobType: String
    /// Attempts it took, 1 when the first one succeeded.
    public var attempts: Int
    /// Small, type-specific facts about the result (e.g. `memories_created`); strings only.
    public var summary: [String: String]?

    public init(jobID: String, jobType: String, attempts: Int, summary: [String: String]? = nil) {
        self.jobID = jobID
        self.jobType = jobType
        self.attempts = attempts
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case attempts, summary
        case jobID = "job_id"
        case jobType = "job_type"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "job_id": .identifier(),
                "job_type": .identifier("The job's AMQP type, e.g. embed.v1."),
                "attempts": .integer(minimum: 1),
                "summary": JSONSchema.map(values: .string()).nullable(),
            ],
            required: ["job_id", "job_type", "attempts"])
    }
}
