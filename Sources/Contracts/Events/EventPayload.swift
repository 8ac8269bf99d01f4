/// An event's payload: the `payload` field of an `EventEnvelope`.
public protocol EventPayload: Codable, Hashable, Sendable {
    /// The event type (routing key) and version this payload travels under.
    static var type: EventType { get }
    /// JSON Schema (draft 2020-12) of the payload object; `WireSchemas` wraps it in the envelope.
    static var schema: JSONSchema { get }
}
