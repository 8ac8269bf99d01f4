public import AsyncHTTPClient
public import Cache
import Contracts
public import LLM
public import Logging
import Memory
import Messaging
import PostgresNIO
public import Prometheus
import Foundation
import ServiceLifecycle
import Storage
public import WorkerRuntime

/// Wires `memgrid-llm-worker`: memorize jobs from the `llm` queue and `chat.v1` RPC
/// requests, through the configured providers (docs/llm.md). With none configured,
/// memorize runs on the offline rule-based extractor (docs/extraction.md) and chat
/// answers `no_llm_provider`.
public enum LLMWorkerApp {
    /// Told about each answered chat call (the benchmark's overhead numbers).
    public protocol Observer: Sendable {
        /// `overhead`: the call's time in the worker outside provider HTTP calls, up to
        /// the final reply; `inFlight`: chat calls in flight when this one started.
        func callFinished(overhead: Duration, inFlight: Int)
    }

    public struct Configuration: Sendable {
        public var providers: LLMConfiguration
        /// The model memorize asks for; "" = the providers' default model.
        public var extractionModel: String
        /// Memorize asks for OpenAI structured output (`json_schema`), or only for a JSON
        /// object (`json_object`) from providers without it (DeepSeek).
        public var structuredOutput: Bool
        /// How long a tenant's budget status is reused before it is read again.
        public var budgetCacheTTL: Duration
        /// `MEMGRID_BUDGET_ON_REDIS_FAILURE`: whether calls go on (`open`) or are refused (`closed`) without the ledger.
        public var budgetOnRedisFailure: RedisFailurePolicy
        /// LLM calls one tenant may have running per worker process; 0 = no cap.
        public var tenantConcurrency: Int
        /// How long memorize waits for the conversation's vector before it picks the
        /// memories shown to the model by words only.
        public var knownMemoriesTimeout: Duration

        public init(environment: EnvironmentReader) throws {
            providers = try LLMConfiguration.load(environment: environment.values)
            extractionModel = environment.string("MEMGRID_LLM_EXTRACTION_MODEL", default: "")
            structuredOutput = try environment.choice("MEMGRID_LLM_STRUCTURED_OUTPUT", default: OutputFormat.jsonSchema) == .jsonSchema
            budgetCacheTTL = try environment.milliseconds("MEMGRID_BUDGET_CACHE_MS", default: .seconds(2))
            budgetOnRedisFailure = try environment.choice("MEMGRID_BUDGET_ON_REDIS_FAILURE", default: .open)
            tenantConcurrency = try environment.int("MEMGRID_LLM_TENANT_CONCURRENCY", default: 64, range: 0...100_000)
            knownMemoriesTimeout = try environment.milliseconds("MEMGRID_KNOWN_MEMORIES_TIMEOUT_MS", default: .seconds(2))
        }

        enum OutputFormat: String, CaseIterable, Sendable {
            case jsonSchema = "json_schema"
            case jsonObject = "json_object"
        }
    }

    public static func build(
        configuration: WorkerProcessConfiguration, llm: Configuration, registry: PrometheusCollectorRegistry, logger: Logger,
        observer: (any Observer)? = nil
    ) throws -> WorkerProcess.Parts {
        let process = configuration.process
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        let redis = RedisClient(configuration: process.redis, logger: logger)
        let factory = PrometheusMetricsFactory(registry: registry)
        let usage = UsageMeter(usage: UsageRepository(client: database), factory: factory, logger: logger)
        var dependencies: [any Service] = [DatabaseService(client: database), RedisService(client: redis), usage]
        var router: ChatRouter?
        if !llm.providers.isEmpty {
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: llm.providers.httpClientConfiguration)
            dependencies.append(HTTPClientService(client: http))
            let chat = ChatRouter(
                configuration: llm.providers, httpClient: http, admission: RedisRateLimiter(redis: redis, logger: logger), logger: logger,
                metricsFactory: factory)
            dependencies.append(RateLimitPriming(router: chat))
            router = chat
        }
        logger.info("LLM providers", metadata: [
            "llm.providers": "\(llm.providers.providers.map(\.name).joined(separator: ","))",
            "llm.mode": "\(router == nil ? "offline (rule-based memorize, chat disabled)" : "providers")",
        ])
        let topology = process.declaration.topology
        let publisher = WorkerProcess.makePublisher(configuration: configuration, logger: logger)
        let budgets = BudgetGuard(
            budgets: BudgetRepository(client: database), ledger: BudgetLedger(redis: redis, prefix: topology.prefix),
            onRedisFailure: llm.budgetOnRedisFailure, publisher: publisher, topology: topology,
            cacheTTL: llm.budgetCacheTTL, factory: factory, logger: logger)
        dependencies.append(budgets)
        let metering = LLMMetering(usage: usage, budgets: budgets, slots: TenantSlots(limit: llm.tenantConcurrency))
        let responder = ChatResponder(
            router: router, metering: metering, cancellations: CallCancellations(redis: redis, prefix: topology.prefix),
            observer: observer, logger: logger)
        var extraction = MemoryExtraction.rules(RuleBasedExtractor())
        if let router {
            // The extraction's known memories are found by the conversation's vector, asked of the embedding workers.
            let rpc = RPCClient(
                configuration: process.broker, replyQueue: topology.replyQueue(instance: UUID().uuidString.lowercased()),
                publisher: publisher, logger: logger)
            dependencies.append(RPCClientService(client: rpc))
            extraction = .llm(LLMExtractor(
                router: router, model: llm.extractionModel, structuredOutput: llm.structuredOutput, metering: metering,
                answers: JobExtractionRepository(client: database),
                known: KnownMemories(
                    recall: RecallRepository(client: database), rpc: rpc, topology: topology,
                    timeout: llm.knownMemoriesTimeout)))
        }
        return try WorkerProcess.build(
            configuration: configuration, registry: registry, logger: logger, dependencies: dependencies,
            rpc: responder,
            observer: JobStatusObserver(repository: JobRepository(client: database), logger: logger),
            publisher: publisher, redis: redis
        ) { publisher in
            var jobs = JobRouter()
            jobs.register(MemorizeJobHandler(database: database, extraction: extraction, publisher: publisher, topology: topology))
            jobs.register(SummarizeJobHandler(
                categories: CategoryRepository(client: database),
                writer: router.map { .llm(router: $0, model: llm.extractionModel, metering: metering) } ?? .offline))
            return jobs
        }
    }
}

/// Learns each provider's shared rate-limit buckets once at start (`ChatRouter.prime`), so
/// that the first burst of calls need not wait for a round trip; then waits for shutdown.
private struct RateLimitPriming: Service {
    let router: ChatRouter

    func run() async throws {
        await router.prime()
        try? await gracefulShutdown()
    }
}
