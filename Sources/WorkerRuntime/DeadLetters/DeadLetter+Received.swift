public import Messaging
public import Contracts
import Foundation

extension DeadLetter {
    /// Reads a delivery from `queue`'s dead-letter queue. memgrid's headers win over the
    /// broker's (`x-first-death-*`, when the broker dead-lettered it: the delivery
    /// limit); the envelope wins over properties for the tenant, since that is the
    /// tenant the handler acts for.
    public init(delivery: Delivery, queue: JobQueue, deadLetterQueue: String) {
        let (properties, body) = (delivery.properties, delivery.body)
        let headers = properties.headers
        let envelope = try? JSONDecoder().decode(EnvelopeFields.self, from: body)
        func string(_ key: String) -> String? { headers[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }

        self.init(queue: queue, deadLetterQueue: deadLetterQueue)
        messageID = properties.messageID ?? envelope?.id
        type = properties.type ?? envelope?.typeName
        tenantID = envelope?.tenantID ?? string(WireHeader.tenant)
        reason = string(WireHeader.deadLetterReason) ?? string("x-last-death-reason") ?? string("x-first-death-reason")
        error = string(WireHeader.error)
        originalExchange = headers[WireHeader.originalExchange]?.stringValue ?? string("x-first-death-exchange")
        originalRoutingKey = string(WireHeader.originalRoutingKey)
        attempt = headers[WireHeader.attempt]?.intValue.map { Int(clamping: $0) }
        deadLetteredAt = string(WireHeader.deadLetteredAt).flatMap(WireJSON.parse)
        replays = Int(clamping: max(headers[WireHeader.replays]?.intValue ?? 0, 0))
        bodyBytes = body.count
        self.body = body
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
    /// Headers a queue adds to each delivery (quorum queues' redelivery counts): they
    /// describe that delivery, not the message.
    static let deliveryHeaders: Set<String> = ["x-delivery-count", "x-acquired-count"]

    public var withoutDeliveryHeaders: MessageProperties {
        var properties = self
        for header in Self.deliveryHeaders { properties.headers[header] = nil }
        return properties
    }
}
