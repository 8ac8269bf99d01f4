import Embeddings
import Foundation
import Logging
import WorkerRuntime
import SystemHarness

/// What the embedding benchmarks share: in-process embedding workers on a throwaway
/// topology, and the raw encoder baseline they are compared with.
enum EmbeddingBench {
    /// Starts `count` embedding workers in `system` (each with its own model instance)
    /// and waits until all are ready.
    static func startWorkers(count: Int, system: SystemHarness, modelDirectory: URL, logger: Logger) async throws -> [WorkerProcess.Parts] {
        let workers = try (0..<count).map { _ in
            try system.embeddingWorker(embedder: try LocalEmbedder(modelDirectory: modelDirectory, logger: logger))
        }
        try await system.waitUntilReady(timeout: .seconds(600))
        return workers
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
