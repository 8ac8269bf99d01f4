public import Contracts
public import Logging
public import Messaging

/// Settings every memgrid process shares: broker, topology, logging, side port.
public struct ProcessConfiguration: Sendable {
    public var broker: BrokerConfiguration
    public var declaration: TopologyDeclaration
    public var logLevel: Logger.Level
    public var operationsHost: String
    public var operationsPort: Int
    public var postgresURL: String
    public var redisURL: String

    public init(environment: EnvironmentReader, defaultOperationsPort: Int) throws {
        broker = try BrokerConfiguration(url: environment.string("MEMGRID_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:35672/"))
        broker.heartbeat = .seconds(try environment.int("MEMGRID_AMQP_HEARTBEAT_SECONDS", default: 10, range: 1...600))
        broker.publishTimeout = try environment.milliseconds("MEMGRID_PUBLISH_TIMEOUT_MS", default: .seconds(30))
        let topology = Topology(
            prefix: environment.string("MEMGRID_TOPOLOGY_PREFIX", default: "memgrid"),
            retryLevels: try environment.int("MEMGRID_RETRY_MAX_ATTEMPTS", default: 5, range: 1...50))
        declaration = TopologyDeclaration(
            topology: topology,
            workQueueType: try environment.choice("MEMGRID_QUEUE_TYPE", default: .quorum),
            deliveryLimit: try environment.int("MEMGRID_DELIVERY_LIMIT", default: 20, range: 1...10_000))
        logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .info)
        operationsHost = environment.string("MEMGRID_OPS_HOST", default: "0.0.0.0")
        operationsPort = try environment.int("MEMGRID_OPS_PORT", default: defaultOperationsPort, range: 0...65535)
        postgresURL = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        redisURL = environment.string("MEMGRID_REDIS_URL", default: "redis://127.0.0.1:36379")
    }
}

/// Settings of a queue worker process.
public struct WorkerProcessConfiguration: Sendable {
    public var process: ProcessConfiguration
    public var worker: JobWorker.Configuration

    /// - Parameter defaultConcurrency: handlers at once unless `MEMGRID_WORKER_CONCURRENCY`
    ///   says otherwise (I/O-bound workers take far more than CPU-bound ones).
    public init(queue: JobQueue, environment: EnvironmentReader, defaultOperationsPort: Int, defaultConcurrency: Int = 32) throws {
        process = try ProcessConfiguration(environment: environment, defaultOperationsPort: defaultOperationsPort)
        let retry = RetryPolicy(
            maxAttempts: process.declaration.topology.retryLevels,
            baseDelay: try environment.milliseconds("MEMGRID_RETRY_BASE_DELAY_MS", default: .seconds(1)),
            maxDelay: try environment.milliseconds("MEMGRID_RETRY_MAX_DELAY_MS", default: .seconds(300)),
            jitter: try environment.double("MEMGRID_RETRY_JITTER", default: 0.25))
        worker = JobWorker.Configuration(
            queue: queue,
            topology: process.declaration.topology,
            concurrency: try environment.int("MEMGRID_WORKER_CONCURRENCY", default: defaultConcurrency, range: 1...65535),
            retry: retry,
            drainTimeout: try environment.milliseconds("MEMGRID_DRAIN_TIMEOUT_MS", default: .seconds(25)))
    }
}
