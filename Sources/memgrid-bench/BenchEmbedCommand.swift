import ArgumentParser
import Embeddings
import Foundation
import Logging
import Tokenizer

/// `make bench-embed`: the local model at batch 1 and 32 on a fixed corpus, and
/// sentence-transformers on the same corpus and thread count in the same invocation
/// (when `make bench-embed-baseline` has installed it).
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
        print("bench-embed: batch32 \(rate(batch32.sentencesPerSecond)) sentences/s, baseline \(rate(baseline[32])), "
            + "ratio \(ratio(batch32.sentencesPerSecond, baseline[32])); batch1 \(rate(batch1.sentencesPerSecond)) sentences/s, "
            + "baseline \(rate(baseline[1])), ratio \(ratio(batch1.sentencesPerSecond, baseline[1]))")
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
