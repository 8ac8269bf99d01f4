/// The work queue a job is routed to. Each queue is consumed by one kind of worker
/// and scales on its own backlog.
public struct JobQueue: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let embed = JobQueue("embed")
    public static let llm = JobQueue("llm")
    public static let proactive = JobQueue("proactive")

    /// Every queue the production topology declares.
    public static let all: [JobQueue] = [.embed, .llm, .proactive]
}

/// A job kind (`memorize`) and version (`1`): the AMQP `type` property is `memorize.v1`.
/// The kind is also the routing key on the jobs exchange, so publishers route by kind
/// and never need to know which queue serves it.
public struct JobType: Hashable, Sendable, CustomStringConvertible {
    public let kind: String
    public let version: Int
    public let queue: JobQueue

    public init(kind: String, version: Int, queue: JobQueue) {
        self.kind = kind
        self.version = version
        self.queue = queue
    }

    /// The AMQP `type` property, e.g. `embed.v1`.
    public var description: String { "\(kind).v\(version)" }

    /// Parses an AMQP `type` property such as `embed.v1` into kind and version.
    /// Strict, so each type has exactly one spelling: `embed.v01`, `embed.v+1`, `embed.v0`,
    /// `.v1` and `embed` are all rejected.
    public static func parse(_ type: String) -> (kind: String, version: Int)? {
        VersionedName(type).map { ($0.name, $0.version) }
    }
}
