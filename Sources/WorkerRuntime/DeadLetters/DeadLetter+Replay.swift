public import Messaging
public import Contracts
public import Foundation

extension DeadLetter {
    /// Where a replay publishes it. A job goes back through the jobs exchange with its
    /// original routing key (its kind), as first published, so today's bindings route
    /// it. Anything else (an event a work queue subscribes to, or a message of unknown
    /// origin) goes straight to the work queue it was dead-lettered from, through the
    /// default exchange: publishing an event to the events exchange again would deliver
    /// it a second time to every other subscriber.
    public func replayTarget(in topology: Topology) -> (exchange: String, routingKey: String) {
        if originalExchange == topology.jobsExchange, let routingKey = originalRoutingKey, !routingKey.isEmpty {
            return (topology.jobsExchange, routingKey)
        }
        return ("", topology.workQueue(queue))
    }

    /// This dead letter, recorded with `properties` and `body`, as a job again, as first
    /// published: the same body, message id, type, tenant and trace headers; the
    /// dead-letter headers gone, so the attempt count starts again at 1; the replay
    /// counted in `x-memgrid-replays`.
    public func replay(properties: MessageProperties, body: Data, in topology: Topology) -> OutgoingMessage {
        var properties = properties
        for key in properties.headers.keys
        where Self.strippedOnReplay.contains(key) || key.hasPrefix("x-first-death-") || key.hasPrefix("x-last-death-") {
            properties.headers[key] = nil
        }
        // Broker dead letters know their origin only from the death headers stripped above.
        if properties.headers[WireHeader.originalExchange] == nil, let originalExchange {
            properties.headers[WireHeader.originalExchange] = .string(originalExchange)
        }
        if properties.headers[WireHeader.originalRoutingKey] == nil, let originalRoutingKey {
            properties.headers[WireHeader.originalRoutingKey] = .string(originalRoutingKey)
        }
        // Saturates: a foreign publisher may have written Int64.max.
        properties.headers[WireHeader.replays] = .int(Int64(replays == .max ? replays : replays + 1))
        properties.expiration = nil
        let target = replayTarget(in: topology)
        return OutgoingMessage(exchange: target.exchange, routingKey: target.routingKey, body: body, properties: properties)
    }

    private static let strippedOnReplay: Set<String> = MessageProperties.deliveryHeaders.union([
        WireHeader.deadLetterReason, WireHeader.error, WireHeader.deadLetteredAt, WireHeader.attempt,
        WireHeader.deadLetterID,
    ])
}
