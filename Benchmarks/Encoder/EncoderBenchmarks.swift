import Benchmark
import BenchmarkModel
import Embeddings
import Logging

/// The first 32 sentences of the corpus `make bench-embed` measures: one full batch.
let batch = LocalEmbedder.BenchmarkCorpus(count: 32).sentences

let benchmarks: @Sendable () -> Void = {
    // An iteration takes tens of milliseconds: give the run more time than the default
    // second so the percentiles rest on enough samples.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(10))

    Benchmark("LocalEmbedder embed \(batch.count) sentences") { (benchmark, embedder: LocalEmbedder) in
        for _ in benchmark.scaledIterations {
            blackHole(try await embedder.embed(batch))
        }
    } setup: {
        let embedder = try LocalEmbedder(
            modelDirectory: BenchmarkModel.directory(),
            logger: Logger(label: "memgrid.benchmarks", factory: { _ in SwiftLogNoOpLogHandler() }))
        // oneDNN generates its kernels on the first pass: keep that out of the samples.
        try await embedder.warmUp()
        return embedder
    }
}
