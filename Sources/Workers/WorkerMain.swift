public import Contracts
import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle
import Storage
public import WorkerRuntime

/// The shared `main` of the queue worker executables: configuration from the
/// environment, a schema check, then the worker's service group until SIGTERM/SIGINT.
public enum WorkerMain {
    public static func run(
        label: String, queue: JobQueue, router: JobRouter, defaultOperationsPort: Int
    ) async throws {
        let configuration = try WorkerProcessConfiguration(
            queue: queue, environment: EnvironmentReader(), defaultOperationsPort: defaultOperationsPort)
        let (logger, registry) = ProcessBootstrap.bootstrap(label: label, level: configuration.process.logLevel)
        try await checkSchema(url: configuration.process.postgresURL, logger: logger)
        let parts = WorkerProcess.build(configuration: configuration, router: router, registry: registry, logger: logger)
        logger.info("worker starting", metadata: [
            "queue": "\(queue)",
            "broker": "\(configuration.process.broker.redactedDescription)",
            "handlers": "\(router.types.joined(separator: ","))",
            "ops.port": "\(configuration.process.operationsPort)",
        ])
        try await parts.group.run()
    }

    /// Refuses to start on a database whose schema is older than this build.
    static func checkSchema(url: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: try DatabaseConfiguration(url: url, maxConnections: 1).client, backgroundLogger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await Migrator().requireCurrent(client, logger: logger)
            group.cancelAll()
        }
    }
}

extension WorkerMain {
    /// `--help` text shared by the worker executables.
    public static func discussion(defaultOperationsPort: Int) -> String {
        """
        Configured by environment variables (see docs/configuration.md), chiefly
        MEMGRID_AMQP_URL, MEMGRID_POSTGRES_URL, MEMGRID_WORKER_CONCURRENCY and
        MEMGRID_OPS_PORT (default \(defaultOperationsPort): /healthz, /readyz, /metrics).
        Stops gracefully on SIGTERM or SIGINT: stops consuming, finishes in-flight
        jobs, returns prefetched ones to the queue.
        """
    }
}
