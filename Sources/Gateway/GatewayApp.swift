import AsyncHTTPClient
public import Cache
import Contracts
public import Foundation
public import Hummingbird
public import LLM
public import Logging
public import Messaging
import PostgresNIO
public import Prometheus
public import ProviderHTTP
public import ServiceLifecycle
import Storage
import Tokenizer
import UnixSignals
public import WorkerRuntime

/// Wires `memgrid-gateway`: PostgreSQL, Redis, a confirmed publisher, the RPC client
/// for synchronous embeddings, and the HTTP API with its middleware.
public enum GatewayApp {
    public struct Configuration: Sendable {
        public var process: ProcessConfiguration
        public var host: String
        public var port: Int
        /// Apply pending migrations before serving (`MEMGRID_MIGRATE_ON_START`).
        public var migrateOnStart: Bool
        public var maxBodyBytes: Int
        /// How long a request waits for the embedding workers.
        public var rpcTimeout: Duration
        /// How long a chat completion may take, streamed or not.
        public var chatTimeout: Duration
        /// Requests per minute per API key; 0 = unlimited.
        public var rateLimitPerMinute: Int
        public var rateLimitOnRedisFailure: RedisFailurePolicy
        /// How long a verified key is trusted without a database read.
        public var keyCacheTTL: Duration
        /// Failed authentications per client address and minute before 429; 0 = no limit.
        public var authFailuresPerMinute: Int
        /// Proxies whose `X-Forwarded-For` names the client (`MEMGRID_GATEWAY_TRUSTED_PROXIES`).
        public var trustedProxies: [IPNetwork]
        /// Where the tokenizer vocabulary is (usage counts); optional.
        public var modelDirectory: URL
        /// Document search: the index's candidate list (`hnsw.ef_search`), and how many of
        /// its nearest are re-ranked by exact cosine. Higher = better recall, slower.
        public var efSearch: Int
        /// How often the dashboard samples queues and heartbeats, and how far back it keeps them.
        public var dashboardInterval: Duration
        public var dashboardWindow: Duration
        /// Where tenants' webhooks may point.
        public var webhookEgress: EgressPolicy
        /// Must match the embedding workers' `MEMGRID_EMBED_CACHE_SHARED`.
        public var embeddingCacheShared: Bool
        /// Dead letters kept per tenant; past it, the tenant's oldest are dropped.
        public var deadLettersPerTenant: Int
        /// The LLM workers' providers, without their keys: `/v1/models` lists their models.
        public var llm: LLMConfiguration
        /// Streaming standbys for the reads that may lag (`MEMGRID_DATABASE_READ_URL`), and
        /// how far behind one may be and still serve them.
        public var readReplicaURLs: [String]
        public var readMaxLag: Duration

        public init(environment: EnvironmentReader) throws {
            process = try ProcessConfiguration(environment: environment, defaultOperationsPort: 9100)
            host = environment.string("MEMGRID_GATEWAY_HOST", default: "127.0.0.1")
            port = try environment.int("MEMGRID_GATEWAY_PORT", default: 8080, range: 0...65535)
            // Readiness and metrics describe the cluster: never on the port the load balancer forwards.
            if port != 0 && process.operationsPort == port {
                throw EnvironmentReader.Error(key: "MEMGRID_OPS_PORT", message: "must differ from MEMGRID_GATEWAY_PORT (\(port))")
            }
            migrateOnStart = environment.string("MEMGRID_MIGRATE_ON_START", default: "false") == "true"
            maxBodyBytes = try environment.int("MEMGRID_GATEWAY_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20))
            rpcTimeout = try environment.milliseconds("MEMGRID_GATEWAY_RPC_TIMEOUT_MS", default: .seconds(10))
            chatTimeout = try environment.milliseconds("MEMGRID_GATEWAY_CHAT_TIMEOUT_MS", default: .seconds(120))
            rateLimitPerMinute = try environment.int("MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE", default: 600)
            rateLimitOnRedisFailure = try environment.choice("MEMGRID_GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE", default: .open)
            keyCacheTTL = .seconds(try environment.int("MEMGRID_GATEWAY_KEY_CACHE_SECONDS", default: 30, range: 0...3600))
            authFailuresPerMinute = try environment.int("MEMGRID_GATEWAY_AUTH_FAILURES_PER_MINUTE", default: 30)
            trustedProxies = try environment.string("MEMGRID_GATEWAY_TRUSTED_PROXIES", default: "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
                    guard let network = IPNetwork(entry) else {
                        throw EnvironmentReader.Error(key: "MEMGRID_GATEWAY_TRUSTED_PROXIES", message: "'\(entry)' is not an address or network")
                    }
                    return network
                }
            modelDirectory = URL(fileURLWithPath: environment.string("MEMGRID_MODEL_DIR", default: ModelDirectory.defaultPath))
            efSearch = try environment.int("MEMGRID_HNSW_EF_SEARCH", default: 650, range: 1...1000)
            dashboardInterval = .milliseconds(
                try environment.int("MEMGRID_DASHBOARD_SAMPLE_MS", default: 5000, range: 100...3_600_000))
            dashboardWindow = .seconds(
                try environment.int("MEMGRID_DASHBOARD_WINDOW_SECONDS", default: 900, range: 60...86_400))
            webhookEgress = try EgressPolicy(webhooksFrom: environment)
            embeddingCacheShared = try environment.bool("MEMGRID_EMBED_CACHE_SHARED", default: false)
            deadLettersPerTenant = try environment.int("MEMGRID_DEAD_LETTERS_PER_TENANT", default: 10_000, range: 1...10_000_000)
            llm = try LLMConfiguration.load(environment: environment.values, secrets: false)
            readReplicaURLs = environment.string("MEMGRID_DATABASE_READ_URL", default: "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for url in readReplicaURLs {
                do { _ = try DatabaseConfiguration(url: url) } catch {
                    throw EnvironmentReader.Error(key: "MEMGRID_DATABASE_READ_URL", message: "'\(url)' is not a postgres:// URL")
                }
            }
            readMaxLag = try environment.milliseconds("MEMGRID_DATABASE_READ_MAX_LAG_MS", default: .seconds(5))
        }
    }

    public struct Parts: Sendable {
        public let group: ServiceGroup
        public let publisher: Publisher
        public let readiness: Readiness
        /// Every route as `METHOD /path` (`/v1/memories/{id}`), for the OpenAPI check.
        public let routes: [String]
        /// The public and operations ports once listening (either may be configured as 0).
        public let port: ListeningPort
        public let operationsPort: ListeningPort
    }

    public static func build(configuration: Configuration, registry: PrometheusCollectorRegistry, logger: Logger) throws -> Parts {
        let process = configuration.process
        let topology = process.declaration.topology
        func searching(_ url: String) throws -> PostgresClient.Configuration {
            var database = try DatabaseConfiguration(url: url)
            database.searchDocuments(candidates: configuration.efSearch)
            return database.client
        }
        let postgres = PostgresClient(configuration: try searching(process.postgresURL), backgroundLogger: logger)
        let redis = RedisClient(configuration: process.redis, logger: logger)
        let factory = PrometheusMetricsFactory(registry: registry)
        BuildInfo.register(in: registry)
        let reads = ReadReplicas(
            primary: postgres, replicas: try configuration.readReplicaURLs.map(searching),
            configuration: .init(maxLag: configuration.readMaxLag), metrics: factory, logger: logger)
        let publisher = Publisher(configuration: process.broker, declaration: process.declaration, logger: logger)
        let rpc = RPCClient(
            configuration: process.broker, replyQueue: topology.replyQueue(instance: UUID().uuidString.lowercased()),
            publisher: publisher, logger: logger)
        let tokenizer = try? WordPieceTokenizer(modelDirectory: configuration.modelDirectory)
        if tokenizer == nil { logger.info("no tokenizer vocabulary; usage counts come from the embedding workers") }

        let readiness = Readiness()
        readiness.add("broker") { publisher.status.isConnected }
        readiness.add("broker_replies") { rpc.status.isConnected }
        readiness.add("postgres") { await postgres.isReachable(logger: logger) }
        readiness.add("redis") { (try? await redis.ping()) != nil }

        let jobs = JobRepository(client: postgres)
        let memories = MemoryRepository(client: postgres)
        let space = ActiveSpace(client: postgres)
        let submitter = JobSubmitter(jobs: jobs, publisher: publisher, topology: topology)
        let cache = EmbeddingCache(
            client: redis, ttl: nil, sharedAcrossTenants: configuration.embeddingCacheShared, metrics: factory, logger: logger)
        let embedder = QueryEmbedder(
            cache: cache, rpc: rpc, topology: topology,
            timeout: configuration.rpcTimeout, tokenizer: tokenizer)

        let deadLetters = DeadLetterRepository(client: postgres)
        let sampler = DashboardSampler(
            configuration: .init(interval: configuration.dashboardInterval, window: configuration.dashboardWindow),
            broker: QueueDepthReader(configuration: process.broker), topology: topology,
            heartbeats: HeartbeatStore(redis: redis, prefix: topology.prefix), deadLetters: deadLetters, logger: logger)
        let heartbeat = HeartbeatService(
            configuration: .init(role: "gateway", queue: nil, prefix: topology.prefix, interval: process.heartbeatInterval),
            redis: redis, readiness: readiness, registry: registry, logger: logger)

        let router = Router(context: GatewayContext.self)
        router.add(middleware: HTTPMetricsMiddleware(series: .init(factory: factory)))
        router.add(middleware: TraceMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: EdgeMiddleware())
        OperationsServer.liveness(into: router)
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.yaml)))
        }
        let authentication = AuthMiddleware(
            keys: KeyCache(repository: APIKeyRepository(client: postgres), ttl: configuration.keyCacheTTL, metrics: factory),
            failures: AuthFailureLimiter(perMinute: configuration.authFailuresPerMinute, trustedProxies: configuration.trustedProxies))
        let rateLimit = RateLimitMiddleware(
            redis: redis, perMinute: configuration.rateLimitPerMinute, prefix: topology.prefix,
            onRedisFailure: configuration.rateLimitOnRedisFailure)
        let api = router.group("/v1").add(middleware: authentication).add(middleware: rateLimit)
        let maxBody = configuration.maxBodyBytes
        let port = ListeningPort()
        // MCP tools call the /v1 routes above on this gateway itself, with the caller's key.
        let loopbackHost = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        let loopback = GatewayLoopback(
            baseURL: { port.value.map { "http://\(loopbackHost.contains(":") ? "[\(loopbackHost)]" : loopbackHost):\($0)" } },
            httpClient: .shared, timeout: .seconds(60))
        MCPEndpoint(tools: MemoryTools(loopback: loopback, jobs: jobs), maxBody: maxBody)
            .register(on: router.group("/mcp").add(middleware: authentication).add(middleware: rateLimit))
        EmbeddingsAPI(space: space, embedder: embedder, maxBody: maxBody).register(on: api)
        ModelsAPI(llm: configuration.llm, space: space).register(on: api)
        JobsAPI(jobs: jobs, reads: reads, submitter: submitter, budgets: BudgetRepository(client: postgres), maxBody: maxBody).register(on: api)
        // Context blocks are counted whole: no truncation at the model's input length.
        let counter = try? WordPieceTokenizer(modelDirectory: configuration.modelDirectory, maxLength: .max)
        let tokenCount: (@Sendable (String) -> Int)? = counter.map { counter in { @Sendable text in counter.tokenCount(text) } }
        let commonTerms = CommonTermsCache()
        let retriever = Retriever(reads: reads, space: space, commonTerms: commonTerms, embedder: embedder, tokenCount: tokenCount)
        RetrieveAPI(retriever: retriever, maxBody: maxBody).register(on: api)
        MemoriesAPI(memories: memories, history: MemoryHistoryRepository(client: postgres), reads: reads, submitter: submitter, maxBody: maxBody)
            .register(on: api)
        UsersAPI(erasure: UserErasure(client: postgres), cache: cache).register(on: api)
        DocumentsAPI(
            documents: DocumentRepository(client: postgres), reads: reads, space: space, commonTerms: commonTerms, embedder: embedder,
            candidates: configuration.efSearch, maxBody: maxBody)
            .register(on: api)
        ChatAPI(
            rpc: rpc, cancellations: CallCancellations(redis: redis, prefix: topology.prefix),
            memory: ChatMemory(retriever: retriever, submitter: submitter), topology: topology, timeout: configuration.chatTimeout,
            maxBody: maxBody
        ).register(on: api)
        UsageAPI(reads: reads).register(on: api)
        CategoriesAPI(reads: reads).register(on: api)
        WebhookAPI(webhooks: WebhookRepository(client: postgres), egress: configuration.webhookEgress, maxBody: maxBody).register(on: api)
        RemindersAPI(reminders: ReminderRepository(client: postgres)).register(on: api)
        DeadLetterAPI(
            archive: DeadLetterArchive(repository: deadLetters, publisher: publisher, topology: topology), jobs: jobs,
            maxBody: maxBody
        ).register(on: api)
        DashboardAPI(sampler: sampler, reads: reads)
            .register(page: router, data: api)
        BackfillsAPI(backfills: BackfillRepository(client: postgres), publisher: publisher, topology: topology, maxBody: maxBody)
            .register(on: api)

        let operationsPort = ListeningPort()
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "memgrid-gateway"),
            onServerRunning: port.record,
            logger: logger)
        if configuration.migrateOnStart {
            app.beforeServerStarts {
                let applied = try await Migrator().migrate(postgres, logger: logger)
                logger.info("migrations checked", metadata: ["migrations.applied": "\(applied)"])
            }
        }
        let postgresService = DatabaseService(client: postgres)
        let services: [any Service] = postgresService.afterStart([
            reads, RedisService(client: redis), PublisherService(publisher), RPCClientService(client: rpc), heartbeat, sampler, app,
            DeadLetterRecorder(
                configuration: process.broker, declaration: process.declaration, repository: deadLetters,
                perTenant: configuration.deadLettersPerTenant, logger: logger),
            OperationsServer.application(
                host: process.operationsHost, port: process.operationsPort, readiness: readiness, registry: registry,
                logger: logger, listening: operationsPort),
        ])
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: ([postgresService] + services).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        let routes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
        return Parts(
            group: group, publisher: publisher, readiness: readiness, routes: routes, port: port, operationsPort: operationsPort)
    }
}
