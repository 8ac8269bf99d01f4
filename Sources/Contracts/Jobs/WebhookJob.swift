/// `webhook.v1` (queue `proactive`): POST one event to its tenant's webhook, signed.
/// Retried with backoff like any job, then dead-lettered with the reason.
public struct WebhookJob: JobPayload {
    public static let type = JobCatalog.webhook

    /// The event envelope to deliver, as published on the events exchange; its `id`
    /// lets receivers deduplicate.
    public var event: JSONValue

    public init(event: JSONValue) {
        self.event = event
    }

    /// A `null` event is a decoding error like a missing one, as with every required field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        event = try container.decode(JSONValue.self, forKey: .event)
        guard case .object = event else {
            throw DecodingError.dataCorruptedError(forKey: .event, in: container, debugDescription: "event must be an object")
        }
    }

    enum CodingKeys: String, CodingKey {
        case event
    }

    public func validate() throws {
        guard case .object(let fields) = event else {
            throw ContractError(field: "event", message: "must be an event envelope object")
        }
        for field in ["id", "type"] {
            guard case .string(let value)? = fields[field], !value.isEmpty else {
                throw ContractError(field: "event.\(field)", message: "must be a non-empty string")
            }
        }
    }

    public static var schema: JSONSchema {
        .object(
            ["event": JSONSchema(types: [.object]).described("An event as published (see event_envelope), at least `id` and `type`.")],
            required: ["event"])
    }
}
