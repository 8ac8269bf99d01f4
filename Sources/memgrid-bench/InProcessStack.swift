import Contracts
import Embeddings
import Foundation
import Gateway
import Logging
import Messaging
import Prometheus
import ServiceLifecycle
import Storage
import WorkerRuntime
import EmbeddingWorker
import LLMWorker

/// The gateway, an embedding worker and an offline LLM worker (no provider: memorize
/// runs the rule-based extractor) in this process, on the local stack's broker and
/// Redis, with a database emptied for the run and a topology prefix of its own, as
/// `bench gateway` starts them.
struct InProcessStack {
    let baseURL: String
    /// A key of `tenant`.
    let apiKey: String
    private let process: ProcessConfiguration
    private let groups: [ServiceGroup]
    private let tasks: [Task<Void, any Error>]

    static func start(database: BenchDatabase, tenant: String, logger: Logger) async throws -> InProcessStack {
        let adminURL = ProcessInfo.processInfo.environment["MEMGRID_POSTGRES_URL"] ?? "postgres://memgrid@127.0.0.1:35432/memgrid"
        let databaseURL = try database.url(adminURL: adminURL)
        try await database.recreate(adminURL: adminURL, logger: logger)
        let port = 18_000 + Int.random(in: 0..<2000)
        var values = Self.environment(databaseURL: databaseURL, prefix: "bench-mem", port: port)
        values["MEMGRID_LLM_PROVIDERS"] = ""
        values["MEMGRID_LLM_PROVIDERS_FILE"] = ""
        let environment = EnvironmentReader(values)

        let key = try await DatabaseConfiguration.withClient(url: databaseURL, maxConnections: 2, logger: logger) { client in
            _ = try await Migrator().migrate(client, logger: logger)
            return try await APIKeyRepository(client: client).create(tenantID: tenant, name: "bench", logger: logger).secret
        }

        let gatewayConfiguration = try GatewayApp.Configuration(environment: environment)
        let gateway = try GatewayApp.build(configuration: gatewayConfiguration, registry: PrometheusCollectorRegistry(), logger: logger)
        let embedding = try EmbeddingWorkerApp.Configuration(environment: environment)
        let embedder = try LocalEmbedder(modelDirectory: embedding.modelDirectory, logger: logger)
        let embedWorker = try EmbeddingWorkerApp.build(
            configuration: try WorkerProcessConfiguration(queue: .embed, environment: environment, defaultOperationsPort: 0),
            embedding: embedding, embedder: embedder, registry: PrometheusCollectorRegistry(), logger: logger)
        let llmWorker = try LLMWorkerApp.build(
            configuration: try WorkerProcessConfiguration(queue: .llm, environment: environment, defaultOperationsPort: 0),
            llm: try LLMWorkerApp.Configuration(environment: environment), registry: PrometheusCollectorRegistry(), logger: logger)
        let groups = [gateway.group, embedWorker.group, llmWorker.group]
        let tasks = groups.map { group in Task { try await group.run() } }
        for readiness in [gateway.readiness, embedWorker.readiness, llmWorker.readiness] {
            while !(await readiness.evaluate().allSatisfy(\.ready)) { try await Task.sleep(for: .milliseconds(100)) }
        }
        return InProcessStack(
            baseURL: "http://127.0.0.1:\(port)", apiKey: key, process: gatewayConfiguration.process, groups: groups, tasks: tasks)
    }

    /// This process's environment for benchmark services: the bench database, a topology
    /// prefix of their own, ops servers on free ports, the gateway on `port` without a
    /// rate limit.
    static func environment(databaseURL: String, prefix: String, port: Int) -> [String: String] {
        var values = ProcessInfo.processInfo.environment
        values["MEMGRID_POSTGRES_URL"] = databaseURL
        values["MEMGRID_TOPOLOGY_PREFIX"] = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        values["MEMGRID_OPS_PORT"] = "0"
        values["MEMGRID_OPS_HOST"] = "127.0.0.1"
        values["MEMGRID_GATEWAY_PORT"] = String(port)
        values["MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE"] = "0"
        return values
    }

    /// Stops the services and removes the run's queues and exchanges (the database stays
    /// for a look until the next run empties it).
    func stop() async {
        for group in groups { await group.triggerGracefulShutdown() }
        for task in tasks { _ = try? await task.value }
        await BenchBackfillCommand.deleteTopology(process.declaration.topology, admin: BrokerAdmin(configuration: process.broker))
    }
}
