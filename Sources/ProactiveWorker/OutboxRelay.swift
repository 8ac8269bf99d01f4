import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import ServiceLifecycle
import Storage

/// Publishes the change events written to the outbox (`EventOutbox`) with the changes
/// they announce: `memory.updated`, `memory.superseded`, `memory.deleted`, `user.erased`,
/// and `memory.created` of direct adds. Each batch is removed only once the broker
/// confirmed it; a replica that dies mid-batch leaves it for the next pass, so an event
/// may go out twice with the same id (consumers deduplicate).
final class OutboxRelay: Service, Sendable {
    private let outbox: EventOutbox
    private let publisher: Publisher
    private let topology: Topology
    private let interval: Duration
    private let batch: Int
    private let logger: Logger
    private let published: Counter

    init(
        outbox: EventOutbox, publisher: Publisher, topology: Topology, interval: Duration, batch: Int = 500, factory: any MetricsFactory,
        logger: Logger
    ) {
        published = Counter(label: "memgrid_outbox_events_published_total", factory: factory)
        self.outbox = outbox
        self.publisher = publisher
        self.topology = topology
        self.interval = interval
        self.batch = batch
        self.logger = logger
    }

    func run() async throws {
        await PollingLoop.run(interval: interval) {
            do {
                return try await self.relay() == self.batch
            } catch {
                self.logger.warning("outbox pass failed; retrying", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
                return false
            }
        }
    }

    /// One batch; returns how many events it published.
    @discardableResult
    func relay() async throws -> Int {
        try await outbox.take(limit: batch, logger: logger) { entries in
            try await publisher.publish(entries.map { entry in
                OutgoingMessage(
                    exchange: topology.eventsExchange, routingKey: entry.routingKey, body: Data(entry.body.utf8),
                    properties: MessageProperties(messageID: entry.eventID, timestamp: Date(), type: entry.type),
                    mandatory: false)
            })
            published.increment(by: entries.count)
        }
    }
}
