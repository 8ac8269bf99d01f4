import Contracts
import Foundation
import Logging
import WorkerRuntime
import EmbeddingWorker

/// What the embedding benchmarks share: a run id, a fresh topology prefix (`bench-<run>`),
/// side ports on 0, and the embedding worker's configuration read from the environment.
struct BenchEmbeddingSetup {
    let run: String
    let logger: Logger
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
        var values = ProcessInfo.processInfo.environment
        values["MEMGRID_TOPOLOGY_PREFIX"] = "bench-\(run)"
        values["MEMGRID_OPS_PORT"] = "0"
        values["MEMGRID_OPS_HOST"] = "127.0.0.1"
        values["MEMGRID_WORKER_CONCURRENCY"] = values["MEMGRID_WORKER_CONCURRENCY"] ?? "\(concurrency)"
        if let postgresURL { values["MEMGRID_POSTGRES_URL"] = postgresURL }
        let environment = EnvironmentReader(values)
        configuration = try WorkerProcessConfiguration(queue: .embed, environment: environment, defaultOperationsPort: 0)
        embedding = try EmbeddingWorkerApp.Configuration(environment: environment)
        modelDirectory = modelDir.map(URL.init(fileURLWithPath:)) ?? embedding.modelDirectory
    }
}
