public import Contracts
public import Logging
public import Prometheus
import Messaging
import PostgresNIO
import ServiceLifecycle
import Storage

/// The shared `main` of the queue worker executables: configuration from the
/// environment, a schema check, then the worker's service group until SIGTERM/SIGINT.
public enum WorkerMain {
    /// - Parameter build: wires the process from its configuration (the embedding worker
    ///   adds its model, cache and database); defaults to a worker without handlers.
    public static func run(
        label: String, queue: JobQueue, defaultOperationsPort: Int, defaultConcurrency: Int = 32,
        build: (WorkerProcessConfiguration, EnvironmentReader, PrometheusCollectorRegistry, Logger) throws -> WorkerProcess.Parts
            = { configuration, _, registry, logger in
                try WorkerProcess.build(configuration: configuration, registry: registry, logger: logger) { _ in JobRouter() }
            }
    ) async throws {
        let environment = EnvironmentReader()
        let configuration = try WorkerProcessConfiguration(
            queue: queue, environment: environment, defaultOperationsPort: defaultOperationsPort,
            defaultConcurrency: defaultConcurrency)
        let (logger, registry) = ProcessBootstrap.bootstrap(
            label: label, level: configuration.process.logLevel, format: configuration.process.logFormat)
        let tracing = try TracingBackend.fromEnvironment(environment, serviceName: label, logger: logger)
        try await checkSchema(url: configuration.process.postgresURL, logger: logger)
        let parts = try build(configuration, environment, registry, logger)
        logger.info("worker starting", metadata: [
            "queue": "\(queue)",
            "broker": "\(configuration.process.broker.redactedDescription)",
            "handlers": "\(parts.handlerTypes.joined(separator: ","))",
            "ops.port": "\(configuration.process.operationsPort)",
            "tracing": "\(tracing == nil ? "off" : "otlp")",
        ])
        try await TracingBackend.run(parts.group, tracing: tracing, logger: logger)
    }

    /// Refuses to start on a database whose schema is older than this build.
    static func checkSchema(url: String, logger: Logger) async throws {
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger) { client in
            try await Migrator().requireCurrent(client, logger: logger)
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
