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
import Tokenizer
public import WorkerRuntime

/// Wires `memgrid-embedding-worker`: local model, Redis embedding cache, PostgreSQL,
/// the micro-batcher and the `embed.v1` handler.
public enum EmbeddingWorkerApp {
    public struct Configuration: Sendable {
        /// Where vectors come from: one model, one embedding space.
        public enum Provider: Sendable {
            /// The in-process model in this directory, its dense layers in this precision.
            case local(URL, BertEncoder.Precision)
            /// Any OpenAI-compatible `/v1/embeddings`.
            case remote(RemoteEmbedder.Configuration)

            /// Reads `<prefix>PROVIDER` (`local` or `openai`) and its settings; `modelDirectoryKey`
            /// names the local model's directory, `<prefix>PRECISION` its arithmetic.
            init(environment: EnvironmentReader, prefix: String, modelDirectoryKey: String) throws {
                let provider = environment.string("\(prefix)PROVIDER", default: "local")
                switch provider {
                case "local":
                    self = .local(
                        URL(fileURLWithPath: environment.string(modelDirectoryKey, default: ModelDirectory.defaultPath)),
                        try environment.choice("\(prefix)PRECISION", default: BertEncoder.Precision.fp32))
                case "openai":
                    guard let url = environment.optionalString("\(prefix)REMOTE_URL"),
                          let model = environment.optionalString("\(prefix)REMOTE_MODEL")
                    else {
                        throw EnvironmentReader.Error(
                            key: "\(prefix)REMOTE_URL", message: "the openai provider needs \(prefix)REMOTE_URL and \(prefix)REMOTE_MODEL")
                    }
                    let keyFile = environment.optionalString("\(prefix)REMOTE_API_KEY_FILE")
                    let key = try keyFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
                        ?? environment.optionalString("\(prefix)REMOTE_API_KEY")
                    self = .remote(RemoteEmbedder.Configuration(
                        baseURL: url, apiKey: key, model: model,
                        dimensions: try environment.int("\(prefix)REMOTE_DIMENSIONS", default: 1024, range: 1...16000),
                        revision: environment.string("\(prefix)REMOTE_REVISION", default: "1"),
                        maxBatch: try environment.int("\(prefix)REMOTE_BATCH", default: 256, range: 1...4096),
                        timeout: try environment.milliseconds("\(prefix)REMOTE_TIMEOUT_MS", default: .seconds(30))))
                default:
                    throw EnvironmentReader.Error(key: "\(prefix)PROVIDER", message: "expected local or openai, got '\(provider)'")
                }
            }

            public func makeEmbedder(logger: Logger) throws -> any Embedder {
                switch self {
                case .local(let directory, let precision): try LocalEmbedder(modelDirectory: directory, precision: precision, logger: logger)
                case .remote(let configuration): RemoteEmbedder(configuration: configuration, logger: logger)
                }
            }
        }

        /// The model whose space this worker fills and answers queries from.
        public var provider: Provider
        /// During a model change, the new model: every job is stored into both spaces, and
        /// re-embed jobs name it (docs/reembedding.md). Nil otherwise.
        public var next: Provider?
        public var batcher: EmbeddingBatcher.Configuration
        /// 0 = keep cached vectors until Redis evicts them.
        public var cacheTTL: Duration?
        /// One cache for all tenants (`MEMGRID_EMBED_CACHE_SHARED`): single-owner deployments only.
        public var cacheShared: Bool

        public init(environment: EnvironmentReader) throws {
            batcher = EmbeddingBatcher.Configuration(
                maxBatchTokens: try environment.int("MEMGRID_EMBED_BATCH_TOKENS", default: 8192, range: 256...1_000_000),
                linger: try environment.milliseconds("MEMGRID_EMBED_LINGER_MS", default: .milliseconds(2)))
            let ttlSeconds = try environment.int("MEMGRID_EMBED_CACHE_TTL_SECONDS", default: 30 * 24 * 3600)
            cacheTTL = ttlSeconds == 0 ? nil : .seconds(ttlSeconds)
            cacheShared = try environment.bool("MEMGRID_EMBED_CACHE_SHARED", default: false)
            provider = try Provider(environment: environment, prefix: "MEMGRID_EMBED_", modelDirectoryKey: "MEMGRID_MODEL_DIR")
            next = environment.optionalString("MEMGRID_EMBED_NEXT_PROVIDER") == nil ? nil
                : try Provider(environment: environment, prefix: "MEMGRID_EMBED_NEXT_", modelDirectoryKey: "MEMGRID_EMBED_NEXT_MODEL_DIR")
        }

        /// The local model's directory (the default one when the provider is remote).
        public var modelDirectory: URL {
            if case .local(let directory, _) = provider { return directory }
            return URL(fileURLWithPath: ModelDirectory.defaultPath)
        }
    }

    /// Builds the process around an embedder (the local model in production) and, during
    /// a model change, the next model's.
    public static func build(
        configuration: WorkerProcessConfiguration, embedding: Configuration, embedder: any Embedder,
        next: (any Embedder)? = nil, registry: PrometheusCollectorRegistry, logger: Logger
    ) throws -> WorkerProcess.Parts {
        let process = configuration.process
        let factory = PrometheusMetricsFactory(registry: registry)
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        let redis = RedisClient(configuration: process.redis, logger: logger)
        let cache = EmbeddingCache(client: redis, ttl: embedding.cacheTTL, sharedAcrossTenants: embedding.cacheShared, metrics: factory, logger: logger)
        let jobs = JobRepository(client: database)
        // Only the first model's space may become the active one on a fresh database.
        let batchers = [embedder, next].compactMap(\.self).enumerated().map { index, embedder in
            EmbeddingBatcher(
                configuration: embedding.batcher, embedder: embedder, cache: cache,
                repository: EmbeddingRepository(client: database), mayActivate: index == 0, metrics: factory, logger: logger)
        }
        let parts = try WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger,
            dependencies: [DatabaseService(client: database), RedisService(client: redis)] + batchers,
            rpc: EmbedQueryResponder(batchers: batchers),
            observer: JobStatusObserver(repository: jobs, logger: logger), redis: redis
        ) { publisher in
            var router = JobRouter()
            router.register(EmbedJobHandler(
                batchers: batchers, publisher: publisher, topology: process.declaration.topology, jobs: jobs, logger: logger))
            return router
        }
        parts.readiness.add("model_warm") { batchers.allSatisfy(\.isReady) }
        return parts
    }
}
