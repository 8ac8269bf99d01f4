public import Logging
import Memory
import Messaging
import PostgresNIO
public import Prometheus
import Storage
public import WorkerRuntime

/// Wires `memgrid-llm-worker`. Memorize runs on the offline rule-based extractor
/// (docs/extraction.md) until LLM providers are configured.
public enum LLMWorkerApp {
    public static func build(
        configuration: WorkerProcessConfiguration, registry: PrometheusCollectorRegistry, logger: Logger
    ) throws -> WorkerProcess.Parts {
        let process = configuration.process
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        return WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger, dependencies: [database],
            observer: JobStatusObserver(repository: JobRepository(client: database), logger: logger)
        ) { publisher in
            var router = JobRouter()
            router.register(MemorizeJobHandler(
                database: database, extractor: RuleBasedExtractor(), publisher: publisher, topology: process.declaration.topology))
            return router
        }
    }
}
