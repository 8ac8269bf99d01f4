public import Foundation

/// A BERT encoder with mean pooling and L2 normalization — the sentence-transformers
/// pipeline of all-MiniLM-L6-v2 and its relatives — on oneDNN's SGEMM, or its bf16
/// matmul (``Precision``).
///
/// Sequences are packed, not padded: a batch's token rows are stacked into one
/// `tokens × hidden` matrix for the dense layers, and attention runs per sequence over
/// its own length. This computes exactly what a padded batch with an attention mask
/// computes (masked keys get weight 0, masked rows are left out of the mean), without
/// spending GEMM time on padding, and a text's vector does not depend on its batch.
///
/// The weights are immutable, so one encoder can serve any number of threads.
/// ``encode(_:)`` blocks the calling thread for the whole computation: call it from a
/// thread you own, never from Swift's cooperative pool (``LocalEmbedder`` does that).
public final class BertEncoder: Sendable {
    public let configuration: Configuration
    /// Upper bound on the tokens in one forward pass (the packed batch's rows). A single
    /// sequence longer than this still runs, alone.
    public let maxBatchTokens: Int
    /// Content hash of `model.safetensors` (FNV-1a 64 of the file's bytes, hex): changes
    /// whenever the weights do.
    public let weightsHash: String
    public let precision: Precision
    let parameters: Parameters
    /// The dense layers' weights in bf16 (precision bf16), else empty.
    let bfloat16Layers: [BFloat16Layer]

    /// Loads `config.json` and `model.safetensors` from `modelDirectory`, validating
    /// every tensor's shape against the configuration.
    public convenience init(modelDirectory: URL, maxBatchTokens: Int = 8192, precision: Precision = .fp32) throws(BertEncoder.Error) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BertEncoder.Error(.fileNotFound, "model directory not found", path: modelDirectory.path)
        }
        let configuration = try Configuration(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        let file = try SafeTensors(path: modelDirectory.appendingPathComponent("model.safetensors").path)
        try self.init(configuration: configuration, weights: file, maxBatchTokens: maxBatchTokens, precision: precision)
    }

    init(configuration: Configuration, weights file: SafeTensors, maxBatchTokens: Int, precision: Precision = .fp32) throws(BertEncoder.Error) {
        try configuration.validate(path: nil)
        guard maxBatchTokens > 0 else {
            throw BertEncoder.Error(.invalidConfiguration, "maxBatchTokens must be positive, got \(maxBatchTokens)")
        }
        self.configuration = configuration
        self.maxBatchTokens = maxBatchTokens
        let parameters = try Parameters(file: file, configuration: configuration)
        self.parameters = parameters
        self.precision = precision
        self.bfloat16Layers = switch precision {
        case .fp32: []
        case .bf16: try parameters.layers.map { layer throws(BertEncoder.Error) in try BFloat16Layer(layer, configuration: configuration) }
        }
        self.weightsHash = Self.contentHash(of: file)
    }

    /// Output vector size.
    public var dimensions: Int { configuration.hiddenSize }

    /// One L2-normalized vector per token-id sequence, in input order. Each sequence is
    /// `[CLS] … [SEP]`, 1…`maxPositions` ids. Blocks the calling thread.
    public func encode(_ sequences: [[Int32]]) throws(BertEncoder.Error) -> [[Float]] {
        let workspace = Workspace()
        return try encode(sequences, workspace: workspace)
    }

    /// `encode` reusing `workspace`'s buffers (which must not be shared between threads).
    func encode(_ sequences: [[Int32]], workspace: Workspace) throws(BertEncoder.Error) -> [[Float]] {
        for (index, ids) in sequences.enumerated() {
            guard !ids.isEmpty, ids.count <= configuration.maxPositions else {
                throw BertEncoder.Error(.invalidInput, "sequence \(index) has \(ids.count) tokens; expected 1...\(configuration.maxPositions)")
            }
            let vocabulary = Int32(configuration.vocabularySize)
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw BertEncoder.Error(.invalidInput, "sequence \(index) holds token id \(bad), outside 0..<\(vocabulary)")
            }
        }
        var results: [[Float]] = []
        results.reserveCapacity(sequences.count)
        for batch in Self.batches(lengths: sequences.map(\.count), maxTokens: maxBatchTokens) {
            try forward(sequences[batch], workspace: workspace, into: &results)
        }
        return results
    }

    /// Consecutive runs of sequences whose total length fits `maxTokens` (a longer
    /// sequence gets a batch of its own). Packing makes the order irrelevant to cost,
    /// so inputs are not sorted and results come out in input order.
    static func batches(lengths: [Int], maxTokens: Int) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var tokens = 0
        for (index, length) in lengths.enumerated() {
            if index > start, tokens + length > maxTokens {
                batches.append(start..<index)
                start = index
                tokens = 0
            }
            tokens += length
        }
        if start < lengths.count { batches.append(start..<lengths.count) }
        return batches
    }
}
