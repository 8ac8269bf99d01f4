import Messaging
public import Contracts
public import Foundation

/// A message in a dead-letter queue (`memgrid.<queue>.dlq`), as an operator sees it.
/// Fields come from memgrid's reason headers (`JobWorker` dead letters), or from
/// RabbitMQ's `x-death` header when the broker dead-lettered the message itself (the
/// work queue's delivery limit), and from the job envelope in the body.
public struct DeadLetter: Sendable, Hashable {
    /// The work queue it was dead-lettered from (`llm`).
    public var queue: JobQueue
    /// The dead-letter queue holding it (`memgrid.llm.dlq`).
    public var deadLetterQueue: String
    /// AMQP `message_id`, else the envelope's `id`: the job id and idempotency key.
    public var messageID: String?
    /// AMQP `type` (`memorize.v1`), else the envelope's kind and version.
    public var type: String?
    /// The envelope's `tenant_id`, else the `x-memgrid-tenant` header.
    public var tenantID: String?
    /// A `DeadLetterReason` raw value, or the broker's `x-death` reason (`delivery_limit`,
    /// `rejected`, `expired`, `maxlen`).
    public var reason: String?
    /// The last handler error, without secrets or bodies.
    public var error: String?
    /// Where the job was first published.
    public var originalExchange: String?
    public var originalRoutingKey: String?
    /// The attempt that failed.
    public var attempt: Int?
    public var deadLetteredAt: Date?
    /// How often an operator replayed it before (it failed again each time).
    public var replays: Int
    public var bodyBytes: Int
    /// Only when asked for (`show`).
    public var body: Data?

    /// Reasons the broker itself gives in `x-death`.
    public static let brokerReasons = ["delivery_limit", "rejected", "expired", "maxlen"]
    /// Every reason a dead letter can carry: the filter accepts these.
    public static let reasons = DeadLetterReason.allCases.map(\.rawValue) + brokerReasons

    public init(
        queue: JobQueue, deadLetterQueue: String, messageID: String? = nil, type: String? = nil, tenantID: String? = nil,
        reason: String? = nil, error: String? = nil, originalExchange: String? = nil, originalRoutingKey: String? = nil,
        attempt: Int? = nil, deadLetteredAt: Date? = nil, replays: Int = 0, bodyBytes: Int = 0, body: Data? = nil
    ) {
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
        self.deadLetteredAt = deadLetteredAt
        self.replays = replays
        self.bodyBytes = bodyBytes
        self.body = body
    }
}

extension DeadLetter: Encodable {
    enum CodingKeys: String, CodingKey {
        case object, queue, type, reason, error, attempt, replays, body
        case deadLetterQueue = "dead_letter_queue"
        case messageID = "message_id"
        case tenantID = "tenant_id"
        case originalExchange = "original_exchange"
        case originalRoutingKey = "original_routing_key"
        case deadLetteredAt = "dead_lettered_at"
        case bodyBytes = "body_bytes"
        case bodyBase64 = "body_base64"
    }

    /// The admin API's and `memgrid dlq --json`'s shape. The body, when present, is
    /// `body` if it is UTF-8 text (a JSON envelope is), else `body_base64`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("dead_letter", forKey: .object)
        try container.encode(queue.rawValue, forKey: .queue)
        try container.encode(deadLetterQueue, forKey: .deadLetterQueue)
        try container.encodeIfPresent(messageID, forKey: .messageID)
        try container.encodeIfPresent(type, forKey: .type)
        try container.encodeIfPresent(tenantID, forKey: .tenantID)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(originalExchange, forKey: .originalExchange)
        try container.encodeIfPresent(originalRoutingKey, forKey: .originalRoutingKey)
        try container.encodeIfPresent(attempt, forKey: .attempt)
        try container.encodeIfPresent(deadLetteredAt, forKey: .deadLetteredAt)
        try container.encode(replays, forKey: .replays)
        try container.encode(bodyBytes, forKey: .bodyBytes)
        if let body {
            if let text = String(validating: body, as: UTF8.self) {
                try container.encode(text, forKey: .body)
            } else {
                try container.encode(body.base64EncodedString(), forKey: .bodyBase64)
            }
        }
    }
}
