public import Foundation

/// The body of every job message. Stable JSON: snake_case keys, RFC 3339 UTC timestamps
/// with milliseconds, sorted keys (see `WireJSON`).
public struct JobEnvelope<Payload: Codable & Sendable>: Codable, Sendable {
    /// Idempotency key: also the AMQP `message_id`. Redelivery of the same id never
    /// applies the job twice.
    public var id: String
    public var kind: String
    public var version: Int
    public var tenantID: String
    /// 1 for a new job. Retries carry the current attempt in the `x-memgrid-attempt`
    /// header, which wins over this field.
    public var attempt: Int
    public var createdAt: Date
    public var trace: TraceContext?
    public var payload: Payload

    public init(
        id: String,
        type: JobType,
        tenantID: String,
        attempt: Int = 1,
        createdAt: Date = Date(),
        trace: TraceContext? = TraceContext.current,
        payload: Payload
    ) {
        self.id = id
        self.kind = type.kind
        self.version = type.version
        self.tenantID = tenantID
        self.attempt = attempt
        self.createdAt = createdAt
        self.trace = trace
        self.payload = payload
    }

    /// The AMQP `type` property this envelope travels under.
    public var typeName: String { "\(kind).v\(version)" }

    enum CodingKeys: String, CodingKey {
        case id, kind, version, attempt, trace, payload
        case tenantID = "tenant_id"
        case createdAt = "created_at"
    }
}

extension JobEnvelope: Equatable where Payload: Equatable {}
extension JobEnvelope: Hashable where Payload: Hashable {}

/// The envelope fields without the payload: what the runtime reads before it knows
/// which payload type to decode.
public struct JobHeader: Codable, Hashable, Sendable {
    public var id: String
    public var kind: String
    public var version: Int
    public var tenantID: String
    public var attempt: Int
    public var createdAt: Date
    public var trace: TraceContext?

    /// The AMQP `type` property, e.g. `embed.v1`.
    public var typeName: String { "\(kind).v\(version)" }

    enum CodingKeys: String, CodingKey {
        case id, kind, version, attempt, trace
        case tenantID = "tenant_id"
        case createdAt = "created_at"
    }
}
