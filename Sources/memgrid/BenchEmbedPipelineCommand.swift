import ArgumentParser
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
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

    func run() async throws {
        let setup = try BenchEmbeddingSetup(concurrency: 64, modelDir: modelDir)
        let (run, logger, configuration, embedding, directory) =
            (setup.run, setup.logger, setup.configuration, setup.embedding, setup.modelDirectory)
        let embedder = try LocalEmbedder(modelDirectory: directory, logger: logger)
        let seed = UInt64.random(in: 1...UInt64.max / 2)  // a fresh corpus: the cache must start cold
        let texts = LocalEmbedder.BenchmarkCorpus(count: count, seed: seed).sentences
        print("bench-embed-pipeline: \(count) texts, \(perJob) per job, concurrency \(configuration.worker.concurrency)")

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
}
