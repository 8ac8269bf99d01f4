public import Contracts
public import Foundation
public import Logging
public import PostgresNIO

/// Change events, written in the transaction of the change they announce and published
/// afterwards by the proactive worker's relay (`take`): a committed change always gets
/// its event, and a rolled-back one never does. Delivery is at least once; the event id
/// is stable per change, so consumers deduplicate.
public struct EventOutbox: Sendable {
    /// An event waiting to be published: its envelope, encoded.
    public struct Entry: Sendable, Equatable {
        public var eventID: String
        public var tenantID: String
        /// The AMQP `type` (`memory.updated.v1`) and routing key (`memory.updated`).
        public var type: String
        public var routingKey: String
        public var body: String
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Queues the events in the caller's transaction; an event id already queued is kept once.
    public static func add<Payload: EventPayload>(
        _ envelopes: [EventEnvelope<Payload>], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !envelopes.isEmpty else { return }
        let bodies = try envelopes.map { String(decoding: try WireJSON.encoder().encode($0), as: UTF8.self) }
        try await connection.query("""
            INSERT INTO event_outbox (event_id, tenant_id, type, routing_key, body)
            SELECT * FROM unnest(\(envelopes.map(\.id)), \(envelopes.map(\.tenantID)), \(envelopes.map(\.typeName)),
                                 \(envelopes.map(\.type)), \(bodies))
            ON CONFLICT (event_id) DO NOTHING
            """, logger: logger)
    }

    /// Takes up to `limit` of the oldest events inside a transaction and hands them to
    /// `publish`; they are removed only if it returns. SKIP LOCKED: replicas take
    /// different events. Returns how many it took.
    @discardableResult
    public func take(limit: Int, logger: Logger, publish: ([Entry]) async throws -> Void) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                DELETE FROM event_outbox o
                USING (SELECT id FROM event_outbox ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED) due
                WHERE o.id = due.id
                RETURNING o.id, o.event_id, o.tenant_id, o.type, o.routing_key, o.body
                """, logger: logger)
            var taken: [(Int64, Entry)] = []
            for try await (id, eventID, tenantID, type, routingKey, body) in rows.decode((Int64, String, String, String, String, String).self) {
                taken.append((id, Entry(eventID: eventID, tenantID: tenantID, type: type, routingKey: routingKey, body: body)))
            }
            let entries = taken.sorted { $0.0 < $1.0 }.map(\.1)
            if !entries.isEmpty { try await publish(entries) }
            return entries.count
        }
    }
}
