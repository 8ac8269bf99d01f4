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
        /// `local` (the in-process model) or `openai` (any OpenAI-compatible `/v1/embeddings`).
        public var provider: String
        public var remote: RemoteEmbedder.Configuration?
        public var modelDirectory: URL
        public var batcher: EmbeddingBatcher.Configuration
        /// 0 = keep cached vectors until Redis evicts them.
        public var cacheTTL: Duration?

        public init(environment: EnvironmentReader) throws {
            modelDirectory = URL(fileURLWithPath: environment.string("MEMGRID_MODEL_DIR", default: LocalEmbedder.defaultModelPath))
            batcher = EmbeddingBatcher.Configuration(
                maxBatchTokens: try environment.int("MEMGRID_EMBED_BATCH_TOKENS", default: 8192, range: 256...1_000_000),
                linger: try environment.milliseconds("MEMGRID_EMBED_LINGER_MS", default: .milliseconds(2)))
            let ttlSeconds = try environment.int("MEMGRID_EMBED_CACHE_TTL_SECONDS", default: 30 * 24 * 3600)
            cacheTTL = ttlSeconds == 0 ? nil : .seconds(ttlSeconds)
            provider = environment.string("MEMGRID_EMBED_PROVIDER", default: "local")
            switch provider {
            case "local":
                remote = nil
            case "openai":
                guard let url = environment.optionalString("MEMGRID_EMBED_REMOTE_URL"),
                      let model = environment.optionalString("MEMGRID_EMBED_REMOTE_MODEL")
                else {
                    throw EnvironmentReader.Error(key: "MEMGRID_EMBED_REMOTE_URL", message: "the openai provider needs MEMGRID_EMBED_REMOTE_URL and MEMGRID_EMBED_REMOTE_MODEL")
                }
                let keyFile = environment.optionalString("MEMGRID_EMBED_REMOTE_API_KEY_FILE")
                let key = try keyFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
                    ?? environment.optionalString("MEMGRID_EMBED_REMOTE_API_KEY")
                remote = RemoteEmbedder.Configuration(
                    baseURL: url, apiKey: key, model: model,
                    dimensions: try environment.int("MEMGRID_EMBED_REMOTE_DIMENSIONS", default: 1024, range: 1...16000),
                    revision: environment.string("MEMGRID_EMBED_REMOTE_REVISION", default: "1"),
                    maxBatch: try environment.int("MEMGRID_EMBED_REMOTE_BATCH", default: 256, range: 1...4096),
                    timeout: try environment.milliseconds("MEMGRID_EMBED_REMOTE_TIMEOUT_MS", default: .seconds(30)))
            default:
                throw EnvironmentReader.Error(key: "MEMGRID_EMBED_PROVIDER", message: "expected local or openai, got '\(provider)'")
            }
        }

        /// The configured embedder: the remote provider, or the local model.
        public func makeEmbedder(logger: Logger) throws -> any Embedder {
            if let remote { return RemoteEmbedder(configuration: remote, logger: logger) }
            return try LocalEmbedder(modelDirectory: modelDirectory, logger: logger)
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
        let jobs = JobRepository(client: database)
        let batcher = EmbeddingBatcher(
            configuration: embedding.batcher, embedder: embedder, cache: cache,
            repository: EmbeddingRepository(client: database), metrics: factory, logger: logger)
        let parts = try WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger,
            dependencies: [database, RedisService(client: redis), batcher],
            rpc: { request, _ in await EmbedQueryResponder(batcher: batcher).answer(request) },
            observer: JobStatusObserver(repository: jobs, logger: logger), redis: redis
        ) { publisher in
            var router = JobRouter()
            router.register(EmbedJobHandler(
                batcher: batcher, publisher: publisher, topology: process.declaration.topology, jobs: jobs, logger: logger))
            return router
        }
        parts.readiness.add("model_warm") { batcher.isReady }
        return parts
    }
}
