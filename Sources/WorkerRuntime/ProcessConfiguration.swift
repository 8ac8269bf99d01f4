public import Cache
public import Contracts
import Foundation
public import Logging
public import Messaging

/// Settings every memgrid process shares: broker, topology, logging, side port.
public struct ProcessConfiguration: Sendable {
    public var broker: BrokerConfiguration
    public var declaration: TopologyDeclaration
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var operationsHost: String
    public var operationsPort: Int
    public var postgresURL: String
    /// `MEMGRID_REDIS_URL` with the TLS settings that refine a `rediss://` URL.
    public var redis: RedisClient.Configuration
    /// How often the process writes its heartbeat to Redis (docs/dashboard.md); 0 = never.
    public var heartbeatInterval: Duration

    public init(environment: EnvironmentReader, defaultOperationsPort: Int) throws {
        broker = try BrokerConfiguration(url: environment.string("MEMGRID_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:35672/"))
        broker.heartbeat = .seconds(try environment.int("MEMGRID_AMQP_HEARTBEAT_SECONDS", default: 10, range: 1...600))
        broker.publishTimeout = try environment.milliseconds("MEMGRID_PUBLISH_TIMEOUT_MS", default: .seconds(30))
        broker.tls = try Self.brokerTLS(broker.tls, environment: environment)
        let topology = Topology(
            prefix: environment.string("MEMGRID_TOPOLOGY_PREFIX", default: "memgrid"),
            retryLevels: try environment.int("MEMGRID_RETRY_MAX_ATTEMPTS", default: 5, range: 1...50))
        declaration = TopologyDeclaration(
            topology: topology,
            workQueueType: try environment.choice("MEMGRID_QUEUE_TYPE", default: .quorum),
            deliveryLimit: try environment.int("MEMGRID_DELIVERY_LIMIT", default: 20, range: 1...10_000))
        logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .info)
        logFormat = try environment.choice("MEMGRID_LOG_FORMAT", default: LogFormat.defaultForStandardError)
        operationsHost = environment.string("MEMGRID_OPS_HOST", default: "0.0.0.0")
        operationsPort = try environment.int("MEMGRID_OPS_PORT", default: defaultOperationsPort, range: 0...65535)
        postgresURL = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        redis = try RedisClient.Configuration(url: environment.string("MEMGRID_REDIS_URL", default: "redis://127.0.0.1:36379"))
        redis.tls = try Self.redisTLS(redis.tls, environment: environment)
        // Every gateway request makes a Redis call: at 4 connections they queued for one.
        redis.poolSize = try environment.int("MEMGRID_REDIS_POOL_SIZE", default: 16, range: 1...256)
        heartbeatInterval = try environment.milliseconds("MEMGRID_HEARTBEAT_INTERVAL_MS", default: .seconds(5))
    }

    /// The `amqps://` URL turns TLS on; these settings refine it. Set without it they are an
    /// error, not a silently plain connection the operator believes encrypted.
    static func brokerTLS(_ tls: BrokerConfiguration.TLS?, environment: EnvironmentReader) throws -> BrokerConfiguration.TLS? {
        let keys = ["MEMGRID_AMQP_CA_FILE", "MEMGRID_AMQP_TLS_VERIFY", "MEMGRID_AMQP_CERT_FILE", "MEMGRID_AMQP_KEY_FILE"]
        guard var tls else {
            if let key = keys.first(where: { environment.optionalString($0) != nil }) {
                throw EnvironmentReader.Error(key: key, message: "is set but MEMGRID_AMQP_URL is not amqps://")
            }
            return nil
        }
        tls.caFile = environment.optionalString("MEMGRID_AMQP_CA_FILE")
        tls.verifyPeer = try environment.choice("MEMGRID_AMQP_TLS_VERIFY", default: Verify.on) == .on
        switch (environment.optionalString("MEMGRID_AMQP_CERT_FILE"), environment.optionalString("MEMGRID_AMQP_KEY_FILE")) {
        case (nil, nil): break
        case (let certificate?, let key?): tls.clientCertificate = .init(certificateFile: certificate, keyFile: key)
        case (nil, _): throw EnvironmentReader.Error(key: "MEMGRID_AMQP_CERT_FILE", message: "is needed with MEMGRID_AMQP_KEY_FILE")
        case (_, nil): throw EnvironmentReader.Error(key: "MEMGRID_AMQP_KEY_FILE", message: "is needed with MEMGRID_AMQP_CERT_FILE")
        }
        return tls
    }

    /// As for the broker: `rediss://` turns TLS on, these settings refine it.
    static func redisTLS(
        _ tls: RedisClient.Configuration.TLS?, environment: EnvironmentReader
    ) throws -> RedisClient.Configuration.TLS? {
        guard var tls else {
            if let key = ["MEMGRID_REDIS_CA_FILE", "MEMGRID_REDIS_TLS_VERIFY"].first(where: { environment.optionalString($0) != nil }) {
                throw EnvironmentReader.Error(key: key, message: "is set but MEMGRID_REDIS_URL is not rediss://")
            }
            return nil
        }
        tls.caFile = environment.optionalString("MEMGRID_REDIS_CA_FILE")
        if let caFile = tls.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw EnvironmentReader.Error(key: "MEMGRID_REDIS_CA_FILE", message: "cannot read \(caFile)")
        }
        tls.verifyPeer = try environment.choice("MEMGRID_REDIS_TLS_VERIFY", default: Verify.on) == .on
        return tls
    }

    private enum Verify: String { case on = "true", off = "false" }
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
