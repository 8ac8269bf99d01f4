/// An event type (`job.completed`) and version (`1`). The type is the routing key on the
/// events topic exchange, so consumers bind patterns such as `job.*`; the version travels
/// in the envelope and in the AMQP `type` property (`job.completed.v1`).
public struct EventType: Hashable, Sendable, CustomStringConvertible {
    /// Dot-separated lowercase words, e.g. `job.dead_lettered`.
    public let name: String
    public let version: Int

    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// The routing key on the events exchange: the name, without version, so a consumer's
    /// binding survives a version bump.
    public var routingKey: String { name }

    /// The AMQP `type` property and schema name, e.g. `job.completed.v1`.
    public var description: String { "\(name).v\(version)" }

    /// Parses `job.completed.v1`; same rules as `JobType.parse`.
    public static func parse(_ type: String) -> EventType? {
        VersionedName(type).map { EventType(name: $0.name, version: $0.version) }
    }
}
