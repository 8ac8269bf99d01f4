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
import WorkerRuntime
import Workers

/// `make bench-embed-pipeline`: texts through the queue, the cache and pgvector with the
/// embedding worker, against the raw encoder on the same texts in the same invocation.
struct BenchEmbedPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-pipeline",
        abstract: "Embedding pipeline throughput (queue → cache → model → pgvector) vs. the raw encoder.")

    @Option(help: "Texts in total.")
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
        let setup = try BenchEmbeddingSetup(concurrency: 64, modelDir: modelDir, postgresURL: standby ? try await Self.standbyDatabase() : nil)
        let (run, logger, configuration, embedding, directory) =
            (setup.run, setup.logger, setup.configuration, setup.embedding, setup.modelDirectory)
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

        let parts = try EmbeddingWorkerApp.build(
            configuration: configuration, embedding: embedding, embedder: embedder,
            registry: PrometheusCollectorRegistry(), logger: logger)
        let worker = Task { try await parts.group.run() }
        while !(await parts.readiness.evaluate().allSatisfy { $0.ready }) { try await Task.sleep(for: .milliseconds(50)) }

        let jobs = stride(from: 0, to: texts.count, by: perJob).map { start in
            JobEnvelope(id: "bench-\(run)-\(start)", tenantID: tenant, payload: EmbedJob(items: (start..<min(start + perJob, texts.count)).map {
                EmbedJob.Item(target: .init(kind: .document, id: "doc-\($0)"), text: texts[$0])
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
        let pipeline = ContinuousClock.now - start
        await parts.group.triggerGracefulShutdown()
        _ = try? await worker.value
        let stored = try await database.countEmbeddings()
        try? await admin.deleteQueues([events])
        try? await database.drop()

        let raw = try await EmbeddingBench.rawEncoderRate(embedder, count: count, seed: seed + 1)

        let pipelineRate = Double(count) / pipeline.seconds
        let rawRate = raw.rate
        print("pipeline: \(count) texts in \(String(format: "%.1f", pipeline.seconds)) s, \(stored) rows stored")
        print("raw encoder: \(count) texts in \(String(format: "%.1f", raw.seconds)) s")
        print("bench-embed-pipeline: \(Int(pipelineRate)) texts/s through the pipeline, raw encoder \(Int(rawRate)) texts/s, ratio \(String(format: "%.2f", pipelineRate / rawRate))")
    }

    /// `memgrid_bench_standby`, migrated, with a placeholder model active and no HNSW
    /// index, so the worker registers its model's space as a standby one and writes
    /// without index maintenance, as during a re-embed.
    static func standbyDatabase() async throws -> String {
        let environment = EnvironmentReader()
        let adminURL = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        var quiet = Logger(label: "memgrid.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let database = BenchDatabase(name: "memgrid_bench_standby")
        try await database.createIfMissing(adminURL: adminURL, logger: logger)
        let url = try database.url(adminURL: adminURL)
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger) { client in
            _ = try await Migrator().migrate(client, logger: logger)
            let placeholder = "bench/another-model@0/384"
            try await client.query("""
                INSERT INTO embedding_spaces (id, model, revision, dimensions) VALUES (\(placeholder), 'bench/another-model', '0', 384)
                ON CONFLICT DO NOTHING
                """, logger: logger)
            try await client.query("UPDATE embedding_spaces SET active = false WHERE active AND id <> \(placeholder)", logger: logger)
            try await client.query("UPDATE embedding_spaces SET active = true WHERE id = \(placeholder)", logger: logger)
            try await client.query("""
                DO $$ DECLARE r record; BEGIN
                  FOR r IN SELECT indexrelid::regclass AS name FROM pg_index
                           WHERE indrelid = 'embeddings'::regclass AND indexrelid::regclass::text LIKE 'embeddings_hnsw_%' LOOP
                    EXECUTE 'DROP INDEX ' || r.name;
                  END LOOP;
                END $$
                """, logger: logger)
        }
        return url
    }
}
