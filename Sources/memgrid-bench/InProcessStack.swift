import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import Storage
import WorkerRuntime
import EmbeddingWorker
import SystemHarness

/// The gateway, an embedding worker and an offline LLM worker (no provider: memorize
/// runs the rule-based extractor) in this process, on the local stack's broker and
/// Redis, with a database emptied for the run and a topology prefix of its own, as
/// `bench gateway` starts them.
struct InProcessStack {
    let baseURL: String
    /// A key of `tenant`.
    let apiKey: String
    let databaseURL: String
    private let system: SystemHarness

    static func start(database: BenchDatabase, tenant: String, logger: Logger) async throws -> InProcessStack {
        let adminURL = ProcessInfo.processInfo.environment["MEMGRID_POSTGRES_URL"] ?? "postgres://memgrid@127.0.0.1:35432/memgrid"
        let databaseURL = try database.url(adminURL: adminURL)
        try await database.recreate(adminURL: adminURL, logger: logger)
        let key = try await DatabaseConfiguration.withClient(url: databaseURL, maxConnections: 2, logger: logger) { client in
            _ = try await Migrator().migrate(client, logger: logger)
            return try await APIKeyRepository(client: client).create(tenantID: tenant, name: "bench", logger: logger).secret
        }
        let system = try SystemHarness(
            databaseURL: databaseURL, prefix: benchPrefix("bench-mem"),
            overrides: ["MEMGRID_LLM_PROVIDERS": "", "MEMGRID_LLM_PROVIDERS_FILE": ""], logger: logger)
        let gateway = try system.gateway()
        let embedding = try EmbeddingWorkerApp.Configuration(environment: system.reader)
        try system.embeddingWorker(embedder: try LocalEmbedder(modelDirectory: embedding.modelDirectory, logger: logger))
        try system.llmWorker()
        try await system.waitUntilReady(timeout: .seconds(300))
        let port = try await system.ports(of: gateway).public
        return InProcessStack(baseURL: "http://127.0.0.1:\(port)", apiKey: key, databaseURL: databaseURL, system: system)
    }

    /// Stops the services and removes the run's queues and exchanges (the database stays
    /// for a look until the next run empties it).
    func stop() async {
        await system.stop()
        if let process = try? ProcessConfiguration(environment: system.reader, defaultOperationsPort: 0) {
            await BenchBackfillCommand.deleteTopology(system.topology, admin: BrokerAdmin(configuration: process.broker))
        }
    }
}

/// A topology prefix of a benchmark run's own.
func benchPrefix(_ name: String) -> String {
    "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
}
