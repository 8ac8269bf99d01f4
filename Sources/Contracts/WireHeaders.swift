/// AMQP header names. Integrations read and write these; they are part of the contract.
public enum WireHeader {
    /// Attempt number of this delivery (1 for the first). Integer.
    public static let attempt = "x-memgrid-attempt"
    public static let tenant = "x-memgrid-tenant"
    public static let traceparent = "traceparent"
    public static let tracestate = "tracestate"
    /// Set on dead-lettered messages: a `DeadLetterReason` raw value.
    public static let deadLetterReason = "x-memgrid-dead-letter-reason"
    /// Set on dead-lettered and retried messages: the last error, without secrets or bodies.
    public static let error = "x-memgrid-error"
    public static let originalExchange = "x-memgrid-original-exchange"
    public static let originalRoutingKey = "x-memgrid-original-routing-key"
    /// RFC 3339 time the message was dead-lettered.
    public static let deadLetteredAt = "x-memgrid-dead-lettered-at"
    /// Set on replayed dead letters (`memgrid dlq replay`): how often the job was
    /// replayed. Integer; absent means never.
    public static let replays = "x-memgrid-replays"
    /// Set on dead-lettered messages: a new id for each dead-lettering, so that two
    /// identical messages dead-lettered at the same moment are recorded as two.
    public static let deadLetterID = "x-memgrid-dead-letter-id"
}

/// Why a message ended in a dead-letter queue.
public enum DeadLetterReason: String, Codable, Sendable, CaseIterable {
    /// The body is not a JSON job envelope.
    case malformed
    /// No handler knows this `type` (kind + version).
    case unknownType = "unknown_type"
    /// The envelope decoded but its payload failed validation.
    case invalid
    /// A retryable failure persisted through the attempt limit.
    case attemptsExhausted = "attempts_exhausted"
    /// The handler reported a failure that retrying cannot fix.
    case permanentFailure = "permanent_failure"
}
