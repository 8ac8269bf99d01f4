import Benchmark
import BenchmarkModel
import Embeddings
import Logging

/// One full batch: 32 sentences of 8 to 24 words, as `make bench-embed`'s corpus has.
let batch = (0..<32).map { index in
    let words = [
        "the", "agent", "remembers", "that", "she", "prefers", "green", "tea", "before", "the", "morning", "standup",
        "and", "his", "flight", "to", "Berlin", "lands", "at", "seven", "so", "book", "a", "table", "near", "the", "station",
    ]
    return (0..<(8 + index % 17)).map { words[(index * 7 + $0 * 5) % words.count] }.joined(separator: " ") + "."
}

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
