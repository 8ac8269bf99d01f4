public import Contracts
import Foundation

extension DeadLetter {
    /// Reads a message taken from `queue`'s dead-letter queue. memgrid's headers win
    /// over the broker's `x-death` entry; the envelope wins over properties for the
    /// tenant, since that is the tenant the handler acts for.
    init(_ message: RetainedMessage, queue: JobQueue, deadLetterQueue: String, includeBody: Bool) {
        self.init(
            properties: message.properties, body: message.body, death: message.lastDeath, queue: queue,
            deadLetterQueue: deadLetterQueue, includeBody: includeBody)
    }

    /// Reads a delivery from `queue`'s dead-letter queue. `MessageProperties` does not
    /// model the broker's `x-death` array: a broker dead letter's reason and origin come
    /// from its `x-first-death-*` headers.
    public init(delivery: Delivery, queue: JobQueue, deadLetterQueue: String) {
        self.init(
            properties: delivery.properties, body: delivery.body, death: nil, queue: queue, deadLetterQueue: deadLetterQueue,
            includeBody: true)
    }

    private init(
        properties: MessageProperties, body: Data, death: RetainedMessage.Death?, queue: JobQueue, deadLetterQueue: String,
        includeBody: Bool
    ) {
        let headers = properties.headers
        let envelope = try? JSONDecoder().decode(EnvelopeFields.self, from: body)
        func string(_ key: String) -> String? { headers[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }

        self.init(queue: queue, deadLetterQueue: deadLetterQueue)
        messageID = properties.messageID ?? envelope?.id
        type = properties.type ?? envelope?.typeName
        tenantID = envelope?.tenantID ?? string(WireHeader.tenant)
        reason = string(WireHeader.deadLetterReason) ?? death?.reason
            ?? string("x-last-death-reason") ?? string("x-first-death-reason")
        error = string(WireHeader.error)
        originalExchange = headers[WireHeader.originalExchange]?.stringValue ?? death?.exchange
            ?? string("x-first-death-exchange")
        originalRoutingKey = string(WireHeader.originalRoutingKey) ?? death?.routingKey
        attempt = headers[WireHeader.attempt]?.intValue.map { Int(clamping: $0) }
        deadLetteredAt = string(WireHeader.deadLetteredAt).flatMap(WireJSON.parse) ?? death?.time
        replays = Int(clamping: max(headers[WireHeader.replays]?.intValue ?? 0, 0))
        bodyBytes = body.count
        self.body = includeBody ? body : nil
    }

    /// The fields of a job or event envelope that identify it, read leniently: a
    /// malformed body just leaves them empty.
    private struct EnvelopeFields: Decodable {
        var id: String?
        /// Jobs: `kind`; events: `type`.
        var kind: String?
        var type: String?
        var version: Int?
        var tenantID: String?

        var typeName: String? {
            guard let name = kind ?? type, let version else { return nil }
            return "\(name).v\(version)"
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, type, version
            case tenantID = "tenant_id"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try? container.decodeIfPresent(String.self, forKey: .id)
            kind = try? container.decodeIfPresent(String.self, forKey: .kind)
            type = try? container.decodeIfPresent(String.self, forKey: .type)
            version = try? container.decodeIfPresent(Int.self, forKey: .version)
            tenantID = try? container.decodeIfPresent(String.self, forKey: .tenantID)
        }
    }
}

extension MessageProperties {
    /// Without the headers a queue adds to each delivery: the same message delivered
    /// twice has the same properties.
    public var withoutDeliveryHeaders: MessageProperties {
        var properties = self
        for header in RetainedMessage.deliveryHeaders { properties.headers[header] = nil }
        return properties
    }
}
