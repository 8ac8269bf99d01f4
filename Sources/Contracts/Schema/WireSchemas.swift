public import Foundation

/// JSON Schemas (draft 2020-12) of every message body memgrid sends or accepts: what
/// `memgrid contracts schema` prints for integrators.
public enum WireSchemas {
    /// Name → schema, in a fixed order: the generic `envelope` and `event_envelope`
    /// (payload left open), then one full envelope schema per job type (`embed.v1`, …)
    /// and per event type (`job.completed.v1`, …). Each schema stands alone.
    public static func all() -> [(name: String, schema: JSONSchema)] {
        var entries = [
            ("envelope", jobEnvelope(type: nil, payload: nil)),
            ("event_envelope", eventEnvelope(type: nil, payload: nil)),
        ]
        for payload in JobCatalog.payloads {
            entries.append((payload.type.description, jobEnvelope(type: payload.type, payload: payload.schema)))
        }
        for payload in EventCatalog.payloads {
            entries.append((payload.type.description, eventEnvelope(type: payload.type, payload: payload.schema)))
        }
        return entries.map { name, schema in
            var schema = schema
            schema.schemaDialect = JSONSchema.draft202012
            schema.title = name
            return (name, schema)
        }
    }

    /// All schemas as one JSON object keyed by name: pretty-printed with sorted keys, so
    /// the bytes only change when a schema does.
    public static func document() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let schemas = Dictionary(all().map { ($0.name, $0.schema) }, uniquingKeysWith: { first, _ in first })
        return try encoder.encode(schemas)
    }

    /// The job envelope around `payload`; `nil` type and payload = any job.
    public static func jobEnvelope(type: JobType?, payload: JSONSchema?) -> JSONSchema {
        .object(
            [
                "id": .identifier(
                    "Idempotency key, also the AMQP message_id; republishing the same id is safe.",
                    maxLength: 255),
                "kind": type.map { .constant(.string($0.kind)) }
                    ?? .identifier("Job kind, also the routing key on the jobs exchange."),
                "version": type.map { .constant(.integer($0.version)) } ?? .integer(minimum: 1),
                "tenant_id": .identifier(),
                "attempt": .integer(
                    minimum: 1, description: "1 for a new job; the x-memgrid-attempt header wins on retries."),
                "created_at": .timestamp(),
                "trace": traceContext.nullable(),
                "payload": payload ?? JSONSchema(types: [.object]).described("Depends on kind and version."),
            ],
            required: ["id", "kind", "version", "tenant_id", "attempt", "created_at", "payload"],
            description: type.map { "Body of a job message with AMQP type \($0), routing key \($0.kind)." }
                ?? "Body of any job message; payload depends on kind and version.")
    }

    /// The event envelope around `payload`; `nil` type and payload = any event.
    public static func eventEnvelope(type: EventType?, payload: JSONSchema?) -> JSONSchema {
        .object(
            [
                "id": .identifier("Unique per event, also the AMQP message_id; deduplicate on it.", maxLength: 255),
                "type": type.map { .constant(.string($0.name)) }
                    ?? .identifier("Event type, also the routing key on the events exchange."),
                "version": type.map { .constant(.integer($0.version)) } ?? .integer(minimum: 1),
                "tenant_id": .identifier(),
                "occurred_at": .timestamp(),
                "correlation_id": JSONSchema.identifier().nullable()
                    .described("Id of the job this event answers."),
                "trace": traceContext.nullable(),
                "payload": payload ?? JSONSchema(types: [.object]).described("Depends on type and version."),
            ],
            required: ["id", "type", "version", "tenant_id", "occurred_at", "payload"],
            description: type.map { "Body of an event message with AMQP type \($0), routing key \($0.routingKey)." }
                ?? "Body of any event message; payload depends on type and version.")
    }

    /// `TraceContext`: W3C trace context, mirrored in the AMQP headers.
    static var traceContext: JSONSchema {
        .object(
            [
                "traceparent": .identifier("W3C traceparent, e.g. 00-<32 hex>-<16 hex>-01."),
                "tracestate": JSONSchema.string().nullable(),
            ],
            required: ["traceparent"])
    }
}
