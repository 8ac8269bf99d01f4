import Foundation

extension BertEncoder {
    /// The weights, copied out of the safetensors file into one 64-byte-aligned block
    /// (converted to F32) and never written after `init`: safe to read from any thread.
    /// Q, K and V are fused into one [3H × H] matrix so a layer's projections are one
    /// GEMM, and the query rows are pre-scaled by 1/√headSize.
    final class Parameters: @unchecked Sendable {
        struct Layer {
            var qkvWeight: UnsafePointer<Float>  // [3H, H]: query (scaled), key, value
            var qkvBias: UnsafePointer<Float>  // [3H]
            var outputWeight: UnsafePointer<Float>  // [H, H]
            var outputBias: UnsafePointer<Float>
            var attentionNormGamma: UnsafePointer<Float>
            var attentionNormBeta: UnsafePointer<Float>
            var intermediateWeight: UnsafePointer<Float>  // [I, H]
            var intermediateBias: UnsafePointer<Float>  // [I]
            var feedForwardWeight: UnsafePointer<Float>  // [H, I]
            var feedForwardBias: UnsafePointer<Float>
            var feedForwardNormGamma: UnsafePointer<Float>
            var feedForwardNormBeta: UnsafePointer<Float>
        }

        let wordEmbeddings: UnsafePointer<Float>  // [V, H]
        /// Position embedding plus the token-type-0 embedding (token types are all 0).
        let positionEmbeddings: UnsafePointer<Float>  // [P, H]
        let embeddingNormGamma: UnsafePointer<Float>
        let embeddingNormBeta: UnsafePointer<Float>
        let layers: [Layer]

        private let storage: UnsafeMutableRawPointer

        init(file: SafeTensors, configuration c: Configuration) throws(BertEncoder.Error) {
            let names = TensorNames(available: Set(file.entries.keys))
            let (h, i) = (c.hiddenSize, c.intermediateSize)

            // One block, every tensor starting on a 64-byte boundary.
            var sizes: [Int] = [c.vocabularySize * h, c.maxPositions * h, h, h]
            for _ in 0..<c.layers { sizes += [3 * h * h, 3 * h, h * h, h, h, h, i * h, i, h * i, h, h, h] }
            var offsets: [Int] = []
            var total = 0
            for size in sizes {
                offsets.append(total)
                total += (size + 15) / 16 * 16
            }
            let storage = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64)
            let floats = storage.bindMemory(to: Float.self, capacity: total)
            var next = 0
            func slot() -> UnsafeMutableBufferPointer<Float> {
                defer { next += 1 }
                return UnsafeMutableBufferPointer(start: floats + offsets[next], count: sizes[next])
            }
            func read(_ name: String, _ shape: [Int], into buffer: UnsafeMutableBufferPointer<Float>) throws(BertEncoder.Error) {
                try file.copyFloats(names.resolve(name), shape: shape, into: buffer)
            }

            do {
                let word = slot(), position = slot(), gamma = slot(), beta = slot()
                try read("embeddings.word_embeddings.weight", [c.vocabularySize, h], into: word)
                try read("embeddings.position_embeddings.weight", [c.maxPositions, h], into: position)
                try read("embeddings.LayerNorm.weight", [h], into: gamma)
                try read("embeddings.LayerNorm.bias", [h], into: beta)
                let tokenTypes = UnsafeMutableBufferPointer<Float>.allocate(capacity: c.tokenTypes * h)
                defer { tokenTypes.deallocate() }
                try read("embeddings.token_type_embeddings.weight", [c.tokenTypes, h], into: tokenTypes)
                for p in 0..<c.maxPositions {
                    for d in 0..<h { position[p * h + d] += tokenTypes[d] }
                }

                var layers: [Layer] = []
                let queryScale = 1 / Float(c.headSize).squareRoot()
                for l in 0..<c.layers {
                    let prefix = "encoder.layer.\(l)."
                    let qkvWeight = slot(), qkvBias = slot()
                    for (k, part) in ["query", "key", "value"].enumerated() {
                        try read(prefix + "attention.self.\(part).weight", [h, h], into: UnsafeMutableBufferPointer(rebasing: qkvWeight[(k * h * h)..<((k + 1) * h * h)]))
                        try read(prefix + "attention.self.\(part).bias", [h], into: UnsafeMutableBufferPointer(rebasing: qkvBias[(k * h)..<((k + 1) * h)]))
                    }
                    for j in 0..<(h * h) { qkvWeight[j] *= queryScale }
                    for j in 0..<h { qkvBias[j] *= queryScale }

                    let outputWeight = slot(), outputBias = slot(), norm1Gamma = slot(), norm1Beta = slot()
                    try read(prefix + "attention.output.dense.weight", [h, h], into: outputWeight)
                    try read(prefix + "attention.output.dense.bias", [h], into: outputBias)
                    try read(prefix + "attention.output.LayerNorm.weight", [h], into: norm1Gamma)
                    try read(prefix + "attention.output.LayerNorm.bias", [h], into: norm1Beta)

                    let intermediateWeight = slot(), intermediateBias = slot()
                    try read(prefix + "intermediate.dense.weight", [i, h], into: intermediateWeight)
                    try read(prefix + "intermediate.dense.bias", [i], into: intermediateBias)

                    let feedForwardWeight = slot(), feedForwardBias = slot(), norm2Gamma = slot(), norm2Beta = slot()
                    try read(prefix + "output.dense.weight", [h, i], into: feedForwardWeight)
                    try read(prefix + "output.dense.bias", [h], into: feedForwardBias)
                    try read(prefix + "output.LayerNorm.weight", [h], into: norm2Gamma)
                    try read(prefix + "output.LayerNorm.bias", [h], into: norm2Beta)

                    layers.append(Layer(
                        qkvWeight: UnsafePointer(qkvWeight.baseAddress!), qkvBias: UnsafePointer(qkvBias.baseAddress!),
                        outputWeight: UnsafePointer(outputWeight.baseAddress!), outputBias: UnsafePointer(outputBias.baseAddress!),
                        attentionNormGamma: UnsafePointer(norm1Gamma.baseAddress!), attentionNormBeta: UnsafePointer(norm1Beta.baseAddress!),
                        intermediateWeight: UnsafePointer(intermediateWeight.baseAddress!), intermediateBias: UnsafePointer(intermediateBias.baseAddress!),
                        feedForwardWeight: UnsafePointer(feedForwardWeight.baseAddress!), feedForwardBias: UnsafePointer(feedForwardBias.baseAddress!),
                        feedForwardNormGamma: UnsafePointer(norm2Gamma.baseAddress!), feedForwardNormBeta: UnsafePointer(norm2Beta.baseAddress!)
                    ))
                }
                self.wordEmbeddings = UnsafePointer(word.baseAddress!)
                self.positionEmbeddings = UnsafePointer(position.baseAddress!)
                self.embeddingNormGamma = UnsafePointer(gamma.baseAddress!)
                self.embeddingNormBeta = UnsafePointer(beta.baseAddress!)
                self.layers = layers
                self.storage = storage
            } catch {
                storage.deallocate()
                throw error
            }
        }

        deinit { storage.deallocate() }
    }

    /// Maps the canonical Hugging Face `BertModel` tensor names onto what a file holds:
    /// as is, under a `bert.` or `model.` prefix, or without the `embeddings.` prefix.
    struct TensorNames {
        let available: Set<String>

        func resolve(_ canonical: String) -> String {
            var candidates = [canonical, "bert." + canonical, "model." + canonical]
            if canonical.hasPrefix("embeddings.") {
                candidates.append(String(canonical.dropFirst("embeddings.".count)))
            }
            // Unresolved names fall through to the canonical one and fail as missing.
            return candidates.first(where: available.contains) ?? canonical
        }
    }
}
