public import Contracts
import Foundation

extension OutgoingMessage {
    /// A job for the jobs exchange, routed by its kind, with the contract's properties
    /// (`message_id` = job id, `type`, tenant and trace headers). `mandatory`: an
    /// unroutable job is an error, never a silent drop.
    public static func job<Payload: JobPayload>(_ envelope: JobEnvelope<Payload>, topology: Topology) throws -> OutgoingMessage {
        var headers: [String: HeaderValue] = [WireHeader.tenant: .string(envelope.tenantID)]
        headers.trace(envelope.trace)
        return OutgoingMessage(
            exchange: topology.jobsExchange, routingKey: envelope.kind, body: try WireJSON.shared.encoder.encode(envelope),
            properties: MessageProperties(
                messageID: envelope.id, timestamp: envelope.createdAt, type: envelope.typeName, headers: headers))
    }

    /// An event for the events exchange, routed by its type. Not mandatory: having no
    /// subscriber is normal for events.
    public static func event<Payload: EventPayload>(_ envelope: EventEnvelope<Payload>, topology: Topology) throws -> OutgoingMessage {
        var headers: [String: HeaderValue] = [:]
        headers.trace(envelope.trace)
        return OutgoingMessage(
            exchange: topology.eventsExchange, routingKey: envelope.type, body: try WireJSON.shared.encoder.encode(envelope),
            properties: MessageProperties(
                messageID: envelope.id, correlationID: envelope.correlationID, timestamp: Date(), type: envelope.typeName,
                headers: headers),
            mandatory: false)
    }
}

extension [String: HeaderValue] {
    /// The W3C `traceparent`/`tracestate` headers of `trace`, if any.
    mutating func trace(_ trace: TraceContext?) {
        guard let trace else { return }
        self[WireHeader.traceparent] = .string(trace.traceparent)
        if let state = trace.tracestate { self[WireHeader.tracestate] = .string(state) }
    }
}

extension TraceContext {
    /// The trace a message's `traceparent`/`tracestate` headers carry, if valid: how a
    /// publisher that writes no envelope trace (or no envelope) takes part.
    public init?(headers: [String: HeaderValue]) {
        guard let context = TraceContext.parse(
            traceparent: headers[WireHeader.traceparent]?.stringValue, tracestate: headers[WireHeader.tracestate]?.stringValue)
        else { return nil }
        self = context
    }
}
