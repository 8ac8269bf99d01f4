public import Foundation

/// What one process tells the dashboard every few seconds, stored in Redis under a key
/// that expires after a few missed beats (docs/dashboard.md). The counters are the
/// process's own Prometheus counters, read from its registry: one source of truth.
public struct Heartbeat: Codable, Sendable, Equatable {
    /// `gateway`, `embedding-worker`, `llm-worker`, `proactive-worker`.
    public var role: String
    /// `host:pid`: unique per process, stable while it runs.
    public var instance: String
    /// The work queue a worker consumes; nil for the gateway.
    public var queue: String?
    public var startedAt: Date
    public var sentAt: Date
    /// All of `/readyz`'s checks passed.
    public var ready: Bool
    public var checks: [String: Bool]
    /// Cumulative since `startedAt`, summed over labels; see `Heartbeat.counterNames`.
    public var counters: [String: Double]

    public init(
        role: String, instance: String, queue: String?, startedAt: Date, sentAt: Date, ready: Bool, checks: [String: Bool],
        counters: [String: Double]
    ) {
        self.role = role
        self.instance = instance
        self.queue = queue
        self.startedAt = startedAt
        self.sentAt = sentAt
        self.ready = ready
        self.checks = checks
        self.counters = counters
    }

    /// The counters a heartbeat carries (those the process has). Each is the metric that
    /// `/metrics` already exposes, so the dashboard and Prometheus never disagree.
    public static let counterNames: Set<String> = [
        Counter.consumed, Counter.acked, Counter.retried, Counter.deadLettered,
        Counter.embeddingTexts, Counter.cacheHits, Counter.cacheMisses,
        Counter.llmCalls, Counter.llmTokens, Counter.llmCost,
    ]

    /// Metric names of the counters, for readers of `counters`.
    public enum Counter {
        public static let consumed = "memgrid_jobs_consumed_total"
        public static let acked = "memgrid_jobs_acked_total"
        public static let retried = "memgrid_jobs_retried_total"
        public static let deadLettered = "memgrid_jobs_dead_lettered_total"
        public static let embeddingTexts = "memgrid_embedding_texts_total"
        public static let cacheHits = "memgrid_embedding_cache_hits_total"
        public static let cacheMisses = "memgrid_embedding_cache_misses_total"
        public static let llmCalls = "memgrid_llm_calls_total"
        public static let llmTokens = "memgrid_llm_tokens_total"
        public static let llmCost = "memgrid_llm_cost_usd_total"
    }

    /// Names the beat's sender: unique even when one process runs several roles (tests do).
    public var id: String { "\(role)/\(instance)" }

    /// This process's instance name.
    public static func localInstance() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    enum CodingKeys: String, CodingKey {
        case role, instance, queue, ready, checks, counters
        case startedAt = "started_at"
        case sentAt = "sent_at"
    }
}
