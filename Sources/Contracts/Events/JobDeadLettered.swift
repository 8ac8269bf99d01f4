/// `job.dead_lettered`: a job was moved to its queue's dead-letter queue and will not be
/// retried unless an operator replays it (`memgrid dlq`).
public struct JobDeadLettered: EventPayload {
    public static let type = EventCatalog.jobDeadLettered

    public var jobID: String
    /// The job's AMQP `type` as received; may be one memgrid does not know.
    public var jobType: String
    /// The logical work queue (`embed`), not the prefixed queue name.
    public var queue: JobQueue
    public var reason: DeadLetterReason
    /// The last error, without secrets or message bodies.
    public var error: String
    /// Attempts made, counting the one that dead-lettered it.
    public var attempts: Int

    public init(jobID: String, jobType: String, queue: JobQueue, reason: DeadLetterReason, error: String, attempts: Int) {
        self.jobID = jobID
        self.jobType = jobType
        self.queue = queue
        self.reason = reason
        self.error = error
        self.attempts = attempts
    }

    enum CodingKeys: String, CodingKey {
        case queue, reason, error, attempts
        case jobID = "job_id"
        case jobType = "job_type"
    }

    public static var schema: JSONSchema {
        .object(
            [
                // The job id may be missing from a malformed body: then it is the AMQP
                // message_id, or empty when that is missing too.
                "job_id": .string(description: "Envelope id or AMQP message_id; empty if the message had neither."),
                "job_type": .string(description: "The AMQP type as received; empty if absent."),
                "queue": .identifier("Logical work queue, e.g. embed."),
                "reason": .string(oneOf: DeadLetterReason.allCases.map(\.rawValue)),
                "error": .string(),
                "attempts": .integer(minimum: 1),
            ],
            required: ["job_id", "job_type", "queue", "reason", "error", "attempts"])
    }
}
