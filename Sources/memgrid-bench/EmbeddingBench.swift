import Embeddings
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import WorkerRuntime
import EmbeddingWorker

/// What the embedding benchmarks share: in-process embedding workers on a throwaway
/// topology, and the raw encoder baseline they are compared with.
enum EmbeddingBench {
    /// Starts `count` embedding worker processes in-process (each with its own model
    /// instance) and waits until all are ready.
    static func startWorkers(
        count: Int, configuration: WorkerProcessConfiguration, embedding: EmbeddingWorkerApp.Configuration, modelDirectory: URL,
        logger: Logger
    ) async throws -> [(parts: WorkerProcess.Parts, task: Task<Void, any Error>)] {
        var workers: [(parts: WorkerProcess.Parts, task: Task<Void, any Error>)] = []
        for _ in 0..<count {
            let parts = try EmbeddingWorkerApp.build(
                configuration: configuration, embedding: embedding,
                embedder: try LocalEmbedder(modelDirectory: modelDirectory, logger: logger),
                registry: PrometheusCollectorRegistry(), logger: logger)
            workers.append((parts, Task { try await parts.group.run() }))
        }
        for worker in workers {
            while !(await worker.parts.readiness.evaluate().allSatisfy { $0.ready }) { try await Task.sleep(for: .milliseconds(50)) }
        }
        return workers
    }

    static func stop(_ workers: [(parts: WorkerProcess.Parts, task: Task<Void, any Error>)]) async {
        for worker in workers { await worker.parts.group.triggerGracefulShutdown() }
        for worker in workers { _ = try? await worker.task.value }
    }

    /// The raw encoder on fresh texts (the cache must not help it), batches of 256:
    /// texts per second.
    static func rawEncoderRate(_ embedder: LocalEmbedder, count: Int, seed: UInt64) async throws -> (rate: Double, seconds: Double) {
        let texts = LocalEmbedder.BenchmarkCorpus(count: count, seed: seed).sentences
        let start = ContinuousClock.now
        for batch in stride(from: 0, to: texts.count, by: 256) {
            _ = try await embedder.embed(Array(texts[batch..<min(batch + 256, texts.count)]))
        }
        let seconds = (ContinuousClock.now - start).seconds
        return (Double(count) / seconds, seconds)
    }
}
