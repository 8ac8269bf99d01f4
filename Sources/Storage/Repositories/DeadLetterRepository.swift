public import Foundation
public import Logging
public import PostgresNIO

/// Dead letters recorded off the dead-letter queues (migration v11). Reads never touch
/// the broker; replay and purge take rows with `FOR UPDATE SKIP LOCKED`, so two callers
/// never act on the same dead letter and neither waits for the other.
public struct DeadLetterRepository: Sendable {
    public struct Row: Sendable, Equatable {
        /// Recording order: breaks ties between dead letters of the same time.
        public var seq: Int64
        public var queue: String
        public var deadLetterQueue: String
        public var messageID: String?
        public var type: String?
        public var tenantID: String?
        public var reason: String?
        public var error: String?
        public var originalExchange: String?
        public var originalRoutingKey: String?
        public var attempt: Int?
        public var replays: Int
        public var deadLetteredAt: Date
        /// The AMQP properties to publish it again with, as JSON (the recorder's encoding).
        public var properties: String
        public var bodyBytes: Int
        /// Only when asked for.
        public var body: Data?

        public init(
            seq: Int64 = 0, queue: String, deadLetterQueue: String, messageID: String?, type: String?, tenantID: String?,
            reason: String?, error: String?, originalExchange: String?, originalRoutingKey: String?, attempt: Int?,
            replays: Int, deadLetteredAt: Date, properties: String, bodyBytes: Int, body: Data?
        ) {
            self.seq = seq
            self.queue = queue
            self.deadLetterQueue = deadLetterQueue
            self.messageID = messageID
            self.type = type
            self.tenantID = tenantID
            self.reason = reason
            self.error = error
            self.originalExchange = originalExchange
            self.originalRoutingKey = originalRoutingKey
            self.attempt = attempt
            self.replays = replays
            self.deadLetteredAt = deadLetteredAt
            self.properties = properties
            self.bodyBytes = bodyBytes
            self.body = body
        }
    }

    /// Which rows: every condition given must hold; empty or nil = any.
    public struct Filter: Sendable {
        public var queues: [String]
        public var reasons: [String]
        public var messageIDs: [String]
        /// Nil only for operators (`memgrid dlq`): every tenant's, and those without one.
        public var tenantID: String?
        /// Dead-lettered at least this many seconds ago.
        public var olderThan: Int?
        /// Dead-lettered at most this many seconds ago.
        public var newerThan: Int?

        public init(
            queues: [String] = [], reasons: [String] = [], messageIDs: [String] = [], tenantID: String? = nil,
            olderThan: Int? = nil, newerThan: Int? = nil
        ) {
            self.queues = queues
            self.reasons = reasons
            self.messageIDs = messageIDs
            self.tenantID = tenantID
            self.olderThan = olderThan
            self.newerThan = newerThan
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// What `record` did.
    public struct Recorded: Sendable, Equatable {
        /// False when the fingerprint was known (the same message delivered again).
        public var added: Bool
        /// The tenant's oldest dead letters removed to keep it within its cap.
        public var dropped: Int
    }

    /// Records a dead letter once: the same `fingerprint` again (the recorder's message
    /// redelivered) changes nothing. A tenant keeps at most `perTenant` dead letters: one
    /// tenant's failing jobs (a webhook that answers 400 to everything) cannot fill the
    /// table for all; its oldest go first.
    public func record(_ row: Row, fingerprint: String, body: Data, perTenant: Int, logger: Logger) async throws -> Recorded {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                INSERT INTO dead_letters (
                    fingerprint, queue, dead_letter_queue, message_id, type, tenant_id, reason, error, original_exchange,
                    original_routing_key, attempt, replays, dead_lettered_at, properties, body)
                VALUES (
                    \(fingerprint), \(row.queue), \(row.deadLetterQueue), \(row.messageID), \(row.type), \(row.tenantID),
                    \(row.reason), \(row.error), \(row.originalExchange), \(row.originalRoutingKey), \(row.attempt),
                    \(Int64(row.replays)), \(row.deadLetteredAt), \(row.properties)::jsonb, \(body))
                ON CONFLICT (fingerprint) DO NOTHING
                RETURNING seq
                """, logger: logger)
            var added = false
            for try await _ in rows { added = true }
            guard added, let tenantID = row.tenantID else { return Recorded(added: added, dropped: 0) }
            let dropped = try await connection.query("""
                DELETE FROM dead_letters WHERE seq IN (
                    SELECT seq FROM dead_letters WHERE tenant_id = \(tenantID)
                     ORDER BY dead_lettered_at DESC, seq DESC OFFSET \(perTenant))
                RETURNING seq
                """, logger: logger)
            var count = 0
            for try await _ in dropped { count += 1 }
            return Recorded(added: true, dropped: count)
        }
    }

    /// The matching rows, oldest dead-lettering first, at most `limit` (with bodies if asked).
    public func list(_ filter: Filter, limit: Int, bodies: Bool = false, logger: Logger) async throws -> [Row] {
        try await Self.rows(
            client.query(Self.select(filter, limit: limit, bodies: bodies, suffix: ""), logger: logger), bodies: bodies)
    }

    /// How many dead letters are recorded per work queue (every tenant's).
    public func countsByQueue(logger: Logger) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let rows = try await client.query("SELECT queue, count(*) FROM dead_letters GROUP BY queue", logger: logger)
        for try await (queue, count) in rows.decode((String, Int64).self) { counts[queue] = Int(count) }
        return counts
    }

    /// Takes up to `limit` matching rows (bodies included) that no other caller holds,
    /// hands them to `act`, and deletes those whose `seq` it returns, in one transaction:
    /// a row `act` could not handle stays. Returns the rows taken.
    public func take(
        _ filter: Filter, limit: Int, logger: Logger, act: ([Row]) async throws -> Set<Int64>
    ) async throws -> [Row] {
        try await client.withTransaction(logger: logger) { connection in
            let taken = try await Self.rows(
                connection.query(Self.select(filter, limit: limit, bodies: true, suffix: "FOR UPDATE SKIP LOCKED"), logger: logger),
                bodies: true)
            let done = try await act(taken)
            if !done.isEmpty {
                try await connection.query("DELETE FROM dead_letters WHERE seq = ANY(\(Array(done)))", logger: logger)
            }
            return taken
        }
    }

    private static func select(_ filter: Filter, limit: Int, bodies: Bool, suffix: String) -> PostgresQuery {
        """
        SELECT seq, queue, dead_letter_queue, message_id, type, tenant_id, reason, error, original_exchange,
               original_routing_key, attempt, replays, dead_lettered_at, properties::text, octet_length(body)\(unescaped: bodies ? ", body" : "")
          FROM dead_letters
         WHERE (cardinality(\(filter.queues)::text[]) = 0 OR queue = ANY(\(filter.queues)))
           AND (cardinality(\(filter.reasons)::text[]) = 0 OR reason = ANY(\(filter.reasons)))
           AND (cardinality(\(filter.messageIDs)::text[]) = 0 OR message_id = ANY(\(filter.messageIDs)))
           AND (\(filter.tenantID)::text IS NULL OR tenant_id = \(filter.tenantID))
           AND (\(filter.olderThan)::bigint IS NULL OR dead_lettered_at <= now() - \(filter.olderThan) * interval '1 second')
           AND (\(filter.newerThan)::bigint IS NULL OR dead_lettered_at >= now() - \(filter.newerThan) * interval '1 second')
         ORDER BY dead_lettered_at, seq
         LIMIT \(limit) \(unescaped: suffix)
        """
    }

    private static func rows(_ sequence: PostgresRowSequence, bodies: Bool) async throws -> [Row] {
        var found: [Row] = []
        for try await row in sequence {
            let random = row.makeRandomAccess()
            found.append(Row(
                seq: try random[0].decode(Int64.self), queue: try random[1].decode(String.self),
                deadLetterQueue: try random[2].decode(String.self), messageID: try random[3].decode(String?.self),
                type: try random[4].decode(String?.self), tenantID: try random[5].decode(String?.self),
                reason: try random[6].decode(String?.self), error: try random[7].decode(String?.self),
                originalExchange: try random[8].decode(String?.self), originalRoutingKey: try random[9].decode(String?.self),
                attempt: try random[10].decode(Int?.self), replays: Int(try random[11].decode(Int64.self)),
                deadLetteredAt: try random[12].decode(Date.self), properties: try random[13].decode(String.self),
                bodyBytes: Int(try random[14].decode(Int32.self)), body: bodies ? try random[15].decode(Data.self) : nil))
        }
        return found
    }
}
