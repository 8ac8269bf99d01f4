public import Contracts
import Foundation

extension OutgoingMessage {
    /// A job for the jobs exchange, routed by its kind, with the contract's properties
    /// (`message_id` = job id, `type`, tenant header). `mandatory`: an unroutable job is
    /// an error, never a silent drop.
    public static func job<Payload: JobPayload>(_ envelope: JobEnvelope<Payload>, topology: Topology) throws -> OutgoingMessage {
        OutgoingMessage(
            exchange: topology.jobsExchange, routingKey: envelope.kind, body: try WireJSON.encoder().encode(envelope),
            properties: MessageProperties(
                messageID: envelope.id, timestamp: envelope.createdAt, type: envelope.typeName,
                headers: [WireHeader.tenant: .string(envelope.tenantID)]))
    }

    /// An event for the events exchange, routed by its type. Not mandatory: having no
    /// subscriber is normal for events.
    public static func event<Payload: EventPayload>(_ envelope: EventEnvelope<Payload>, topology: Topology) throws -> OutgoingMessage {
        OutgoingMessage(
            exchange: topology.eventsExchange, routingKey: envelope.type, body: try WireJSON.encoder().encode(envelope),
            properties: MessageProperties(
                messageID: envelope.id, correlationID: envelope.correlationID, timestamp: Date(), type: envelope.typeName),
            mandatory: false)
    }
}
