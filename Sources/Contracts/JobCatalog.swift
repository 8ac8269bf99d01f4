/// The job types memgrid knows, and which queue serves each kind.
public enum JobCatalog {
    /// Texts to embed and where to store the vectors.
    public static let embed = JobType(kind: "embed", version: 1, queue: .embed)
    /// A conversation to turn into memories.
    public static let memorize = JobType(kind: "memorize", version: 1, queue: .llm)

    public static let all: [JobType] = [embed, memorize]

    /// The payload type of each job type, in the order of `all`.
    public static var payloads: [any JobPayload.Type] { [EmbedJob.self, MemorizeJob.self] }

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
