public import Foundation

/// The body of every event message on the events exchange. Same JSON conventions as
/// `JobEnvelope` (see `WireJSON`); the routing key is `type`.
public struct EventEnvelope<Payload: Codable & Sendable>: Codable, Sendable {
    /// Unique per event (also the AMQP `message_id`): consumers deduplicate on it, since
    /// events are delivered at least once.
    public var id: String
    /// The event type and routing key, e.g. `job.completed`.
    public var type: String
    public var version: Int
    public var tenantID: String
    public var occurredAt: Date
    /// The id of the job this event answers, if any (also the AMQP `correlation_id`).
    public var correlationID: String?
    public var trace: TraceContext?
    public var payload: Payload

    public init(
        id: String,
        type: EventType,
        tenantID: String,
        occurredAt: Date = Date(),
        correlationID: String? = nil,
        trace: TraceContext? = TraceContext.current,
        payload: Payload
    ) {
        self.id = id
        self.type = type.name
        self.version = type.version
        self.tenantID = tenantID
        self.occurredAt = occurredAt
        self.correlationID = correlationID
        self.trace = trace
        self.payload = payload
    }

    /// The AMQP `type` property this envelope travels under, e.g. `job.completed.v1`.
    public var typeName: String { "\(type).v\(version)" }

    enum CodingKeys: String, CodingKey {
        case id, type, version, trace, payload
        case tenantID = "tenant_id"
        case occurredAt = "occurred_at"
        case correlationID = "correlation_id"
    }
}

extension EventEnvelope: Equatable where Payload: Equatable {}
extension EventEnvelope: Hashable where Payload: Hashable {}

extension EventEnvelope where Payload: EventPayload {
    /// An envelope for a known event payload: type and version come from the payload type.
    public init(
        id: String,
        tenantID: String,
        occurredAt: Date = Date(),
        correlationID: String? = nil,
        trace: TraceContext? = TraceContext.current,
        payload: Payload
    ) {
        self.init(
            id: id, type: Payload.type, tenantID: tenantID, occurredAt: occurredAt,
            correlationID: correlationID, trace: trace, payload: payload)
    }
}
