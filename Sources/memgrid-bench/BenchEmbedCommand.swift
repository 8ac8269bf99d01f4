import ArgumentParser
import Embeddings
import Foundation
import Logging
import Tokenizer

/// `make bench-embed`: the local model at batch 1 and 32 on a fixed corpus, and
/// sentence-transformers on the same corpus and thread count in the same invocation
/// (when `make bench-embed-baseline` has installed it). Then the fast precision against
/// fp32 on the same corpus: throughput at batch 32 and the worst cosine between the two
/// vectors of a sentence.
struct BenchEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Local embedding throughput at batch 1 and 32 vs. sentence-transformers.")

    @Option(help: "Sentences in the corpus (batch 32).")
    var count = 2000

    @Option(help: "Sentences embedded one at a time (batch 1).")
    var batch1Count = 500

    @Option(help: "Model directory (default: MEMGRID_MODEL_DIR, else the local stack's venv).")
    var modelDir: String?

    @Option(help: "The reduced precision compared with fp32 (bench-embed-fast).", transform: { text in
        guard let precision = BertEncoder.Precision(rawValue: text) else { throw ValidationError("unknown precision '\(text)'") }
        return precision
    })
    var fastPrecision = BertEncoder.Precision.bf16

    @Option(help: "Python with sentence-transformers for the baseline.")
    var baselinePython = ".venv-ref/bin/python"

    func run() async throws {
        let directory = modelDir.map(URL.init(fileURLWithPath:)) ?? ModelDirectory.resolve()
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        let embedder = try LocalEmbedder(modelDirectory: directory, logger: logger)
        let corpus = LocalEmbedder.BenchmarkCorpus(count: count)
        print("bench-embed: \(count) sentences (checksum \(corpus.checksum)), \(embedder.threadCount) threads")
        _ = try await embedder.embed(Array(corpus.sentences.prefix(64)))
        let batch32 = try await embedder.benchmark(corpus.sentences, batchSize: 32)
        let batch1 = try await embedder.benchmark(Array(corpus.sentences.prefix(batch1Count)), batchSize: 1)
        print("memgrid \(batch32)")
        print("memgrid \(batch1)")

        let baseline = try runBaseline(threads: embedder.threadCount, directory: directory)
        func ratio(_ ours: Double, _ theirs: Double?) -> String {
            theirs.map { String(format: "%.2f", ours / $0) } ?? "n/a"
        }
        func rate(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "n/a" }

        let fast = try LocalEmbedder(modelDirectory: directory, precision: fastPrecision, logger: logger)
        _ = try await fast.embed(Array(corpus.sentences.prefix(64)))
        let fastBatch32 = try await fast.benchmark(corpus.sentences, batchSize: 32)
        let worst = try await Self.worstCosine(embedder, fast, corpus.sentences)
        print("memgrid \(fastPrecision.rawValue) \(fastBatch32)")
        print("bench-embed-fast: \(fastPrecision.rawValue) batch32 \(rate(fastBatch32.sentencesPerSecond)) sentences/s, "
            + "fp32 \(rate(batch32.sentencesPerSecond)), ratio \(ratio(fastBatch32.sentencesPerSecond, batch32.sentencesPerSecond)), "
            + "worst cosine \(String(format: "%.5f", worst))")
        print("bench-embed: batch32 \(rate(batch32.sentencesPerSecond)) sentences/s, baseline \(rate(baseline[32])), "
            + "ratio \(ratio(batch32.sentencesPerSecond, baseline[32])); batch1 \(rate(batch1.sentencesPerSecond)) sentences/s, "
            + "baseline \(rate(baseline[1])), ratio \(ratio(batch1.sentencesPerSecond, baseline[1]))")
    }

    /// The lowest cosine between the two embedders' vectors of one sentence.
    private static func worstCosine(_ a: LocalEmbedder, _ b: LocalEmbedder, _ sentences: [String]) async throws -> Float {
        var worst: Float = 1
        for start in stride(from: 0, to: sentences.count, by: 256) {
            let batch = Array(sentences[start..<min(start + 256, sentences.count)])
            let (x, y) = (try await a.embed(batch), try await b.embed(batch))
            for (u, v) in zip(x, y) {
                // Both are unit vectors.
                worst = min(worst, zip(u, v).reduce(0) { $0 + $1.0 * $1.1 })
            }
        }
        return worst
    }

    /// sentences/s by batch size from `scripts/bench/baseline_embed.py`, or empty when
    /// sentence-transformers is not installed.
    private func runBaseline(threads: Int, directory: URL) throws -> [Int: Double] {
        guard FileManager.default.isExecutableFile(atPath: baselinePython) else {
            print("baseline: \(baselinePython) not found (run `make bench-embed-baseline`)")
            return [:]
        }
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: baselinePython)
        process.arguments = [
            "scripts/bench/baseline_embed.py", "--count", "\(count)", "--batch1-count", "\(batch1Count)",
            "--threads", "\(threads)",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["MEMGRID_MODEL_DIR"] = directory.path
        environment["HF_HUB_OFFLINE"] = "1"
        process.environment = environment
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var rates: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            print("baseline \(line)")
            // "batch 32:    351.2 sentences/s (…)"
            let words = line.split(whereSeparator: { $0 == " " || $0 == ":" })
            if words.count >= 3, words[0] == "batch", let size = Int(words[1]), let value = Double(words[2]) {
                rates[size] = value
            }
        }
        return rates
    }
}
