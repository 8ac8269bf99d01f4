/// What a handler throws to say how a job failed. Any other error is treated as
/// retryable (a database or network hiccup); throw `.permanent` or `.invalid` when
/// retrying cannot help, so the job goes straight to the dead-letter queue.
public struct JobFailure: Error, CustomStringConvertible, Sendable {
    public struct Kind: Hashable, Sendable {
        let name: String
        /// Worth retrying later.
        public static let retryable = Kind(name: "retryable")
        /// Retrying cannot fix it (e.g. the referenced row is gone).
        public static let permanent = Kind(name: "permanent")
        /// The payload failed validation.
        public static let invalid = Kind(name: "invalid")
    }

    public let kind: Kind
    /// Short and safe to log: no secrets, no message bodies.
    public let message: String
    /// For a retryable failure: the wait the other side asked for (an HTTP `Retry-After`).
    /// The retry waits at least this long, up to the worker's longest backoff.
    public let retryAfter: Duration?

    public init(_ kind: Kind, _ message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    public static func retryable(_ message: String, after retryAfter: Duration? = nil) -> JobFailure {
        JobFailure(.retryable, message, retryAfter: retryAfter)
    }
    public static func permanent(_ message: String) -> JobFailure { JobFailure(.permanent, message) }
    public static func invalid(_ message: String) -> JobFailure { JobFailure(.invalid, message) }

    public var description: String { "\(kind.name): \(message)" }
}
