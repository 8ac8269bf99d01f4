public import Foundation
public import Logging
public import Tokenizer

/// Embeds texts in-process with a local BERT sentence encoder (all-MiniLM-L6-v2):
/// WordPiece tokenization, the encoder forward pass on oneDNN, mean pooling, L2
/// normalization — the sentence-transformers pipeline, to cosine ≥ 0.9999.
///
/// The work runs on threads the embedder owns (one per core by default), never on
/// Swift's cooperative pool; `embed` suspends its caller until they are done. A call's
/// texts are split across the threads by estimated token count, and concurrent calls
/// share the threads first come, first served. Vectors do not depend on how texts are
/// grouped: sequences are packed without padding (see ``BertEncoder``).
public final class LocalEmbedder: Embedder {
    public let space: EmbeddingSpace
    public let encoder: BertEncoder
    public let tokenizer: WordPieceTokenizer
    private let pool: ComputePool
    private let logger: Logger

    /// Loads the tokenizer (`vocab.txt`, `tokenizer_config.json`) and the encoder
    /// (`config.json`, `model.safetensors`) from `modelDirectory` and starts `threads`
    /// compute threads (default: one per available core).
    ///
    /// - Parameters:
    ///   - maxBatchTokens: Upper bound on the tokens of one forward pass. Each thread's
    ///     scratch memory grows to about 14 KB per token of its largest pass.
    ///   - precision: The dense layers' arithmetic. Each precision is its own embedding
    ///     space, so vectors of two precisions are never compared.
    public init(
        modelDirectory: URL, maxBatchTokens: Int = 8192, threads: Int? = nil,
        precision: BertEncoder.Precision = .fp32, logger: Logger
    ) throws {
        let started = ContinuousClock.now
        let threadCount = threads ?? ComputeThreads.availableCores
        guard threadCount > 0 else {
            throw BertEncoder.Error(.invalidConfiguration, "threads must be positive, got \(threadCount)")
        }
        self.tokenizer = try WordPieceTokenizer(modelDirectory: modelDirectory)
        self.encoder = try BertEncoder(modelDirectory: modelDirectory, maxBatchTokens: maxBatchTokens, precision: precision)
        self.space = EmbeddingSpace(
            model: "sentence-transformers/all-MiniLM-L6-v2",
            revision: Self.revision(weightsHash: encoder.weightsHash, precision: precision),
            dimensions: encoder.dimensions
        )
        self.pool = ComputePool(threads: threadCount, name: "memgrid-embed")
        self.logger = logger
        if ComputeThreads.threadCount() == nil {
            logger.info(
                "no OpenMP runtime found: cannot limit oneDNN to one thread per compute thread, cores may be oversubscribed",
                metadata: ["embedding.threads": "\(threadCount)"]
            )
        }
        logger.info(
            "local embedder loaded",
            metadata: [
                "embedding.space": "\(space.id)",
                "embedding.model_dir": "\(modelDirectory.path)",
                "embedding.threads": "\(threadCount)",
                "embedding.precision": "\(precision.rawValue)",
                "embedding.max_batch_tokens": "\(maxBatchTokens)",
                "embedding.load_seconds": "\((ContinuousClock.now - started).seconds)",
            ]
        )
    }

    public var threadCount: Int { pool.threadCount }

    /// The space's revision: the SHA-256 of model.safetensors, behind the precision when
    /// that is not fp32 (`bf16-…`), so the space id (`model@<12 chars>/dims`) tells the
    /// precisions apart and fp32 keeps the id it always had.
    static func revision(weightsHash: String, precision: BertEncoder.Precision) -> String {
        precision == .fp32 ? weightsHash : "\(precision.rawValue)-\(weightsHash)"
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let jobs = Self.partition(texts, jobs: jobCount(for: texts))
        let (encoder, tokenizer, pool) = (encoder, tokenizer, pool)
        if jobs.count == 1 {
            return try await pool.run { workspace in
                try encoder.encode(texts.map(tokenizer.encode), workspace: workspace)
            }
        }
        return try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (job, indices) in jobs.enumerated() {
                group.addTask {
                    let vectors = try await pool.run { workspace in
                        try encoder.encode(indices.map { tokenizer.encode(texts[$0]) }, workspace: workspace)
                    }
                    return (job, vectors)
                }
            }
            var results = [[Float]](repeating: [], count: texts.count)
            for try await (job, vectors) in group {
                for (index, vector) in zip(jobs[job], vectors) { results[index] = vector }
            }
            return results
        }
    }

    public func tokenCount(_ text: String) -> Int {
        tokenizer.encode(text).count
    }

    /// Runs one tiny batch on every compute thread, so first requests do not pay for
    /// oneDNN's kernel generation and the threads' first scratch allocations.
    public func warmUp() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<pool.threadCount {
                group.addTask { _ = try await self.embed(["warm up"]) }
            }
            try await group.waitForAll()
        }
        logger.debug("local embedder warmed up", metadata: ["embedding.space": "\(space.id)"])
    }

    // MARK: splitting a call across threads

    /// Tokens a text will cost, estimated without tokenizing (tokenization happens on
    /// the compute threads): about four UTF-8 bytes per WordPiece, plus [CLS]/[SEP].
    static func estimatedTokens(_ text: String) -> Int {
        text.utf8.count / 4 + 2
    }

    /// At least one job per thread (when there are enough texts), and enough jobs that
    /// each stays within `maxBatchTokens`.
    private func jobCount(for texts: [String]) -> Int {
        let threads = pool.threadCount
        let tokens = texts.reduce(0) { $0 + Self.estimatedTokens($1) }
        let rounds = max(1, (tokens + threads * encoder.maxBatchTokens - 1) / (threads * encoder.maxBatchTokens))
        return min(texts.count, threads * rounds)
    }

    /// Splits text indices into `jobs` groups of about equal estimated cost: longest
    /// first, each into the currently lightest group. Indices stay ascending in a group.
    static func partition(_ texts: [String], jobs: Int) -> [[Int]] {
        guard jobs > 1 else { return [Array(texts.indices)] }
        let costs = texts.map(estimatedTokens)
        var groups = [[Int]](repeating: [], count: jobs)
        var loads = [Int](repeating: 0, count: jobs)
        for index in texts.indices.sorted(by: { costs[$0] > costs[$1] }) {
            let lightest = loads.indices.min { loads[$0] < loads[$1] }!
            groups[lightest].append(index)
            loads[lightest] += costs[index]
        }
        return groups.filter { !$0.isEmpty }.map { $0.sorted() }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
