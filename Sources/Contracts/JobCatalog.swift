/// The job types memgrid knows, and which queue serves each kind.
public enum JobCatalog {
    /// Texts to embed and where to store the vectors.
    public static let embed = JobType(kind: "embed", version: 1, queue: .embed)
    /// A conversation to turn into memories.
    public static let memorize = JobType(kind: "memorize", version: 1, queue: .llm)

    /// Category summaries of a user to rewrite (published by the proactive agent).
    public static let summarize = JobType(kind: "summarize", version: 1, queue: .llm)
    /// One event to deliver to its tenant's webhook.
    public static let webhook = JobType(kind: "webhook", version: 1, queue: .proactive)
    /// One user's near-duplicate memories to merge (proactive maintenance).
    public static let consolidate = JobType(kind: "consolidate", version: 1, queue: .proactive)

    public static let all: [JobType] = [embed, memorize, summarize, webhook, consolidate]

    /// The payload type of each job type, in the order of `all`.
    public static var payloads: [any JobPayload.Type] {
        [EmbedJob.self, MemorizeJob.self, SummarizeJob.self, WebhookJob.self, ConsolidateJob.self]
    }

    /// Events each work queue subscribes to: bindings on the events exchange, so the
    /// queue's worker handles them like jobs (retries, dead letters).
    public static let subscriptions: [JobQueue: [EventType]] = [
        .proactive: [
            EventCatalog.memoryCreated, EventCatalog.memoryUpdated, EventCatalog.memorySuperseded, EventCatalog.memoryDeleted,
            EventCatalog.userErased,
        ],
    ]

    /// The known job type with this AMQP `type` property (`embed.v1`), if any.
    public static func type(named name: String) -> JobType? {
        all.first { $0.description == name }
    }

    /// Routing keys bound to each work queue on the jobs exchange.
    public static var routes: [JobQueue: [String]] {
        var routes: [JobQueue: [String]] = [:]
        for queue in JobQueue.all { routes[queue] = [] }
        for type in all where !(routes[type.queue]?.contains(type.kind) ?? false) {
            routes[type.queue, default: []].append(type.kind)
        }
        return routes
    }
}
