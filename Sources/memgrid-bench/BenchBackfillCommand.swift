import ArgumentParser
import Backfill
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import SystemHarness
import WorkerRuntime

/// `make bench-backfill`: N unique short texts from a JSONL file through `BackfillRunner`
/// (as `memgrid backfill` runs it) with two in-process embedding workers, against the raw
/// encoder measured in the same invocation.
struct BenchBackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Backfill throughput (JSONL → chunks → queue → 2 embedding workers → pgvector) vs. the raw encoder.")

    @Option(help: "Texts in the JSONL file.")
    var count = 200_000

    @Option(help: "Embedding workers (in-process, each with its own model instance).")
    var workers = 2

    @Option(help: "Texts per chunk (embed job).")
    var chunkSize = 256

    @Option(help: "Chunks in flight at most.")
    var maxInFlight = 8

    @Option(help: "Model directory (default: MEMGRID_MODEL_DIR, else the local stack's venv).")
    var modelDir: String?

    func run() async throws {
        let setup = try BenchEmbeddingSetup(concurrency: 16, modelDir: modelDir)
        let (run, logger, configuration, directory) = (setup.run, setup.logger, setup.configuration, setup.modelDirectory)
        let process = configuration.process

        // A fresh corpus, made unique by its index: the cache must start cold.
        let seed = UInt64.random(in: 1...UInt64.max / 2)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-bench-backfill-\(run).jsonl")
        try Self.writeCorpus(count: count, seed: seed, to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        print("bench-backfill: \(count) texts, chunk \(chunkSize), \(maxInFlight) chunks in flight, \(workers) embedding workers")

        let tenant = "bench-\(run)"
        let scratch = ScratchTenant(url: process.postgresURL, tenant: tenant, logger: logger)
        try await scratch.create()
        let admin = BrokerAdmin(configuration: process.broker)
        try await admin.declare(process.declaration)
        let running = try await EmbeddingBench.startWorkers(count: workers, system: setup.system, modelDirectory: directory, logger: logger)

        let printer = BackfillProgressPrinter(interval: .seconds(10))
        let summary = try await DatabaseConfiguration.withClient(url: process.postgresURL, logger: logger) { [count, chunkSize, maxInFlight, logger] client in
            let runner = BackfillRunner(
                configuration: .init(tenantID: tenant, backfillID: "bench", chunkSize: chunkSize, maxInFlight: maxInFlight),
                repository: BackfillRepository(client: client), publisher: running[0].publisher, admin: admin,
                topology: process.declaration.topology, logger: logger)
            let summary = try await runner.run(source: JSONLinesSource(url: file), onProgress: printer.show)
            guard summary.progress.done == count else {
                throw ValidationError("only \(summary.progress.done) of \(count) texts were embedded")
            }
            return summary
        }
        await setup.system.stop()
        let stored = try await scratch.countEmbeddings()
        try? await scratch.drop()
        await Self.deleteTopology(process.declaration.topology, admin: admin)

        let raw = try await EmbeddingBench.rawEncoderRate(
            try LocalEmbedder(modelDirectory: directory, logger: logger), count: count, seed: seed + 1)
        let elapsed = summary.progress.elapsed.seconds
        let rate = Double(count) / elapsed
        print("backfill: \(count) texts in \(String(format: "%.1f", elapsed)) s, \(stored) rows stored, \(summary.progress.published) chunks")
        print("raw encoder: \(count) texts in \(String(format: "%.1f", raw.seconds)) s")
        print("bench-backfill: \(Int(rate)) texts/s, peak queue depth \(summary.progress.peakQueueDepth), "
            + "raw encoder \(Int(raw.rate)) texts/s, ratio \(String(format: "%.2f", rate / raw.rate))")
    }

    /// `{"id": "doc-<n>", "text": "<sentence> #<n>"}` per line.
    static func writeCorpus(count: Int, seed: UInt64, to url: URL) throws {
        let sentences = LocalEmbedder.BenchmarkCorpus(count: count, seed: seed).sentences
        var data = Data()
        for (index, sentence) in sentences.enumerated() {
            let line = try JSONSerialization.data(withJSONObject: ["id": "doc-\(index)", "text": "\(sentence) #\(index)"])
            data.append(line)
            data.append(0x0A)
        }
        try data.write(to: url)
    }

    /// Removes the benchmark's throwaway queues and exchanges.
    static func deleteTopology(_ topology: Topology, admin: BrokerAdmin) async {
        var queues: [String] = []
        for queue in topology.queues {
            queues += [topology.workQueue(queue), topology.deadLetterQueue(queue), topology.rpcQueue(queue)]
            queues += (1...topology.retryLevels).map { topology.retryQueue(queue, level: $0) }
        }
        try? await admin.deleteQueues(queues)
        try? await admin.deleteExchanges([topology.jobsExchange, topology.eventsExchange, topology.deadLetterExchange])
    }
}
