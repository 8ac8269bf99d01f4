/// Every exchange and queue name, derived from one prefix so tests (and several
/// deployments on one broker) never collide. See docs/contracts.md.
public struct Topology: Sendable, Hashable {
    public var prefix: String
    public var queues: [JobQueue]
    /// Kinds routed to each queue: the bindings on the jobs exchange.
    public var routes: [JobQueue: [String]]
    /// Event routing keys bound to each work queue on the events exchange.
    public var subscriptions: [JobQueue: [String]]
    /// Number of delay queues per work queue: attempt n waits in `retry.n`.
    public var retryLevels: Int

    public init(
        prefix: String = "memgrid",
        queues: [JobQueue] = JobQueue.all,
        routes: [JobQueue: [String]] = JobCatalog.routes,
        subscriptions: [JobQueue: [String]] = JobCatalog.subscriptions.mapValues { $0.map(\.routingKey) },
        retryLevels: Int = 5
    ) {
        self.prefix = prefix
        self.queues = queues
        self.routes = routes
        self.subscriptions = subscriptions
        self.retryLevels = retryLevels
    }

    /// Direct exchange for jobs; routing key = job kind.
    public var jobsExchange: String { "\(prefix).jobs" }
    /// Topic exchange for events; routing key = event type (`job.dead_lettered`).
    public var eventsExchange: String { "\(prefix).events" }
    /// Direct exchange the broker dead-letters into (delivery limit, rejects);
    /// routing key = work queue name.
    public var deadLetterExchange: String { "\(prefix).dead-letter" }

    public func workQueue(_ queue: JobQueue) -> String { "\(prefix).\(queue.rawValue)" }
    public func deadLetterQueue(_ queue: JobQueue) -> String { "\(prefix).\(queue.rawValue).dlq" }
    /// Requests that need an answer now (gateway → worker RPC): classic, bounded, no
    /// dead-lettering, since a request nobody answered in time is worthless. Kept apart
    /// from the work queue so a backfill backlog never delays an interactive call.
    public func rpcQueue(_ queue: JobQueue) -> String { "\(prefix).\(queue.rawValue).rpc" }
    /// A process's private reply queue for RPC answers.
    public func replyQueue(instance: String) -> String { "\(prefix).reply.\(instance)" }
    /// Delay queue for the retry after failed attempt `level` (1-based).
    public func retryQueue(_ queue: JobQueue, level: Int) -> String {
        "\(prefix).\(queue.rawValue).retry.\(min(max(level, 1), retryLevels))"
    }
}
