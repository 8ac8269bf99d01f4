public import Foundation

/// The event envelope fields without the payload: what a consumer reads to pick the
/// payload type (or skip an event it does not know).
public struct EventHeader: Codable, Hashable, Sendable {
    public var id: String
    public var type: String
    public var version: Int
    public var tenantID: String
    public var occurredAt: Date
    public var correlationID: String?
    public var trace: TraceContext?

    /// The event type, e.g. `job.completed` version 1.
    public var eventType: EventType { EventType(name: type, version: version) }

    enum CodingKeys: String, CodingKey {
        case id, type, version, trace
        case tenantID = "tenant_id"
        case occurredAt = "occurred_at"
        case correlationID = "correlation_id"
    }
}
