import Contracts
import Foundation
import Logging
import WorkerRuntime
import EmbeddingWorker
import SystemHarness

/// What the embedding benchmarks share: a run id, the in-process system on a fresh
/// topology prefix (`bench-<run>`), and the embedding worker's configuration read from
/// the environment.
struct BenchEmbeddingSetup {
    let run: String
    let logger: Logger
    let system: SystemHarness
    let configuration: WorkerProcessConfiguration
    let embedding: EmbeddingWorkerApp.Configuration
    let modelDirectory: URL

    /// - Parameters:
    ///   - concurrency: handlers at once unless `MEMGRID_WORKER_CONCURRENCY` says otherwise.
    ///   - postgresURL: the database instead of `MEMGRID_POSTGRES_URL`.
    init(concurrency: Int, modelDir: String?, postgresURL: String? = nil) throws {
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        self.logger = logger
        run = UUID().uuidString.prefix(8).lowercased()
        let concurrency = ProcessInfo.processInfo.environment["MEMGRID_WORKER_CONCURRENCY"] ?? "\(concurrency)"
        system = try SystemHarness(
            databaseURL: postgresURL, prefix: "bench-\(run)", overrides: ["MEMGRID_WORKER_CONCURRENCY": concurrency], logger: logger)
        configuration = try system.configuration(.embed)
        embedding = try EmbeddingWorkerApp.Configuration(environment: system.reader)
        modelDirectory = modelDir.map(URL.init(fileURLWithPath:)) ?? embedding.modelDirectory
    }
}
