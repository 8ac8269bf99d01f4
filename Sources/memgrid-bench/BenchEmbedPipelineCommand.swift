import ArgumentParser
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import SystemHarness
import WorkerRuntime

/// `make bench-embed-pipeline`: texts through the queue, the cache and pgvector with the
/// embedding worker, as messages (no HNSW index) and as documents (indexed), each against
/// the raw encoder in the same invocation.
struct BenchEmbedPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-pipeline",
        abstract: "Embedding pipeline throughput (queue → cache → model → pgvector) vs. the raw encoder.")

    @Option(help: "Texts in total: the first half memory items' and messages', the second documents'.")
    var count = 100_000

    @Option(help: "Texts per embed job.")
    var perJob = 100

    @Option(help: "Model directory (default: MEMGRID_MODEL_DIR, else the local stack's venv).")
    var modelDir: String?

    @Flag(help: """
        Write into a standby space, without an HNSW index (another model is active in a database of its own, \
        memgrid_bench_standby): the re-embed path, and the pipeline without index maintenance.
        """)
    var standby = false

    func run() async throws {
        let url = standby ? try await Self.standbyDatabase() : try await Self.freshDatabase()
        let setup = try BenchEmbeddingSetup(concurrency: 64, modelDir: modelDir, postgresURL: url)
        let (run, logger, configuration, directory) = (setup.run, setup.logger, setup.configuration, setup.modelDirectory)
        let embedder = try LocalEmbedder(modelDirectory: directory, logger: logger)
        let seed = UInt64.random(in: 1...UInt64.max / 2)  // a fresh corpus: the cache must start cold
        let texts = LocalEmbedder.BenchmarkCorpus(count: count, seed: seed).sentences
        print("bench-embed-pipeline: \(count) texts, \(perJob) per job, concurrency \(configuration.worker.concurrency)\(standby ? ", standby space (no HNSW index)" : "")")

        let tenant = "bench-\(run)"
        let database = ScratchTenant(url: configuration.process.postgresURL, tenant: tenant, logger: logger)
        try await database.create()
        let admin = BrokerAdmin(configuration: configuration.process.broker)
        let declaration = configuration.process.declaration
        try await admin.declare(declaration)
        let events = "\(declaration.topology.prefix).completed"
        try await admin.declareQueue(events)
        try await admin.bind(events, to: declaration.topology.eventsExchange, routingKey: EventCatalog.embeddingCompleted.routingKey)

        let parts = try setup.system.embeddingWorker(embedder: embedder)
        try await setup.system.waitUntilReady(timeout: .seconds(600))

        // Memory items and messages first (of many users: the ids are what the rows key on),
        // then documents: the space's HNSW index holds documents only.
        func pass(_ kind: EmbedJob.Target.Kind, texts: ArraySlice<String>) async throws -> Duration {
            let jobs = stride(from: texts.startIndex, to: texts.endIndex, by: perJob).map { start in
                JobEnvelope(id: "bench-\(run)-\(kind.rawValue)-\(start)", tenantID: tenant, payload: EmbedJob(
                    items: (start..<min(start + perJob, texts.endIndex)).map {
                        EmbedJob.Item(target: .init(kind: kind, id: "\(kind.rawValue)-\($0)"), text: texts[$0])
                    }))
            }
            let messages = try jobs.map { try OutgoingMessage.job($0, topology: declaration.topology) }
            let start = ContinuousClock.now
            try await parts.publisher.publish(messages)
            var completed = 0
            while completed < jobs.count {
                completed += try await admin.drain(events, limit: 1000).count
                if completed < jobs.count { try await Task.sleep(for: .milliseconds(20)) }
            }
            return ContinuousClock.now - start
        }
        let half = texts.count / 2
        let items = try await pass(.message, texts: texts[..<half])
        let documents = try await pass(.document, texts: texts[half...])
        await setup.system.stop()
        let stored = try await database.countEmbeddings()
        try? await admin.deleteQueues([events])
        try? await database.drop()

        let raw = try await EmbeddingBench.rawEncoderRate(embedder, count: half, seed: seed + 1)
        let rates = (items: Double(half) / items.seconds, documents: Double(texts.count - half) / documents.seconds, raw: raw.rate)
        print("items (messages): \(half) texts in \(String(format: "%.1f", items.seconds)) s")
        print("documents: \(texts.count - half) texts in \(String(format: "%.1f", documents.seconds)) s, \(stored) rows stored in all")
        print("raw encoder: \(half) texts in \(String(format: "%.1f", raw.seconds)) s")
        print("""
            bench-embed-pipeline: items \(Int(rates.items)) texts/s ratio \(String(format: "%.2f", rates.items / rates.raw)); \
            documents \(Int(rates.documents)) texts/s ratio \(String(format: "%.2f", rates.documents / rates.raw)); \
            raw encoder \(Int(rates.raw)) texts/s
            """)
    }

    /// `memgrid_bench_pipeline`, created anew and migrated: the documents go into a new
    /// HNSW graph, as in a new deployment, not into the one every earlier run grew in the
    /// stack's database.
    static func freshDatabase() async throws -> String {
        try await migrated("memgrid_bench_pipeline", anew: true)
    }

    /// `memgrid_bench_standby`, migrated, with a placeholder model active, so the worker
    /// registers its model's space as a standby one, without an HNSW index, and writes
    /// without index maintenance, as during a re-embed.
    static func standbyDatabase() async throws -> String {
        try await migrated("memgrid_bench_standby", anew: false) { client, logger in
            // Another model, active: the worker's own space then registers as a standby one.
            let placeholder = "bench/another-model@0/384"
            try await EmbeddingRepository(client: client).register(
                spaceID: placeholder, model: "bench/another-model", revision: "0", dimensions: 384, logger: logger)
            let spaces = EmbeddingSpaceRepository(client: client)
            _ = try await spaces.activate(placeholder, force: true, logger: logger)
            if let indexed = try await spaces.list(logger: logger).first(where: { $0.indexed && $0.id != placeholder }) {
                throw ValidationError("space \(indexed.id) in memgrid_bench_standby has an HNSW index: the run would not measure a standby space")
            }
        }
    }

    /// The URL of the bench database `name` beside the stack's, created (`anew`: dropped
    /// first) and migrated, then handed to `prepare`.
    private static func migrated(
        _ name: String, anew: Bool, prepare: @Sendable (PostgresClient, Logger) async throws -> Void = { _, _ in }
    ) async throws -> String {
        var quiet = Logger(label: "memgrid.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let adminURL = EnvironmentReader().string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        let database = BenchDatabase(name: name)
        if anew {
            try await database.recreate(adminURL: adminURL, logger: logger)
        } else {
            try await database.createIfMissing(adminURL: adminURL, logger: logger)
        }
        let url = try database.url(adminURL: adminURL)
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger) { client in
            _ = try await Migrator().migrate(client, logger: logger)
            try await prepare(client, logger)
        }
        return url
    }
}
