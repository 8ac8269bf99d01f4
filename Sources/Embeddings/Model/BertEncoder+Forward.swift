extension BertEncoder {
    /// Scratch buffers for one forward pass, grown as needed and reused across batches.
    /// Confined to one thread at a time.
    final class Workspace {
        private(set) var hidden = Buffer<Float>()  // [T, H]
        private(set) var qkv = Buffer<Float>()  // [T, 3H]
        private(set) var context = Buffer<Float>()  // [T, H]
        private(set) var intermediate = Buffer<Float>()  // [T, I]
        private(set) var keysT = Buffer<Float>()  // [headSize, padded L]
        private(set) var scores = Buffer<Float>()  // [L, padded L]
        /// A dense layer's input in bf16 (precision bf16 only).
        private(set) var bits = Buffer<UInt16>()  // [T, I]
        private var bfloat16Primitives: BFloat16Linear.Primitives?

        struct Buffer<Element> {
            private(set) var pointer = UnsafeMutablePointer<Element>.allocate(capacity: 16)
            private(set) var capacity = 16

            mutating func reserve(_ count: Int) {
                guard count > capacity else { return }
                pointer.deallocate()
                // Grow geometrically so a slowly rising batch size does not reallocate every time.
                capacity = max(count, capacity * 3 / 2)
                pointer = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
            }

            func free() { pointer.deallocate() }
        }

        /// This thread's bf16 matmul primitives, made on first use (on this thread).
        func primitives() throws(BertEncoder.Error) -> BFloat16Linear.Primitives {
            if let bfloat16Primitives { return bfloat16Primitives }
            let made = try BFloat16Linear.Primitives()
            bfloat16Primitives = made
            return made
        }

        func reserve(tokens: Int, longest: Int, configuration c: Configuration, precision: Precision) {
            hidden.reserve(tokens * c.hiddenSize)
            qkv.reserve(tokens * 3 * c.hiddenSize)
            context.reserve(tokens * c.hiddenSize)
            intermediate.reserve(tokens * c.intermediateSize)
            keysT.reserve(c.headSize * Kernels.paddedLength(longest))
            scores.reserve(longest * Kernels.paddedLength(longest))
            if precision == .bf16 { bits.reserve(tokens * max(c.hiddenSize, c.intermediateSize)) }
        }

        deinit {
            for buffer in [hidden, qkv, context, intermediate, keysT, scores] { buffer.free() }
            bits.free()
        }
    }

    /// From this sequence length on, attention's two products run as SGEMMs (oneDNN's
    /// AVX-512 kernels); below it the call overhead outweighs them. Measured per head,
    /// one thread: L = 8: loops 1.1 µs, SGEMMs 2.1 µs; L = 16: 2.5 vs 1.7; L = 32: 9.0 vs 4.2.
    static let gemmAttentionLength = 16

    /// Runs one packed batch and appends its pooled, normalized vectors to `results`.
    func forward(_ batch: ArraySlice<[Int32]>, workspace w: Workspace, into results: inout [[Float]]) throws(BertEncoder.Error) {
        let c = configuration
        let (h, inter, heads, headSize) = (c.hiddenSize, c.intermediateSize, c.attentionHeads, c.headSize)
        let tokens = batch.reduce(0) { $0 + $1.count }
        let longest = batch.reduce(0) { max($0, $1.count) }
        w.reserve(tokens: tokens, longest: longest, configuration: c, precision: precision)
        let hidden = w.hidden.pointer, qkv = w.qkv.pointer, context = w.context.pointer, intermediate = w.intermediate.pointer
        let p = parameters

        // Embeddings: word + (position + token type 0), then LayerNorm.
        var row = 0
        for ids in batch {
            for (position, id) in ids.enumerated() {
                Kernels.add(p.wordEmbeddings + Int(id) * h, p.positionEmbeddings + position * h, into: hidden + (row + position) * h, count: h)
            }
            row += ids.count
        }
        Kernels.biasLayerNorm(hidden, rows: tokens, columns: h, bias: nil, gamma: p.embeddingNormGamma, beta: p.embeddingNormBeta, epsilon: c.layerNormEpsilon)

        for (index, layer) in p.layers.enumerated() {
            let reduced = bfloat16Layers.isEmpty ? nil : bfloat16Layers[index]
            // Q, K, V in one GEMM: [T, H] · [3H, H]ᵀ.
            try project(rows: tokens, hidden, inputs: h, weight: layer.qkvWeight, reduced: reduced?.qkv, outputs: 3 * h, accumulate: false, into: qkv, workspace: w)
            Kernels.addBias(qkv, rows: tokens, columns: 3 * h, stride: 3 * h, bias: layer.qkvBias)

            var start = 0
            for ids in batch {
                let length = ids.count
                for head in 0..<heads {
                    let base = qkv + start * 3 * h + head * headSize
                    let output = context + start * h + head * headSize
                    if length < Self.gemmAttentionLength {
                        Kernels.attention(
                            query: base, key: base + h, value: base + 2 * h, stride: 3 * h,
                            length: length, headSize: headSize,
                            output: output, outputStride: h,
                            keysT: w.keysT.pointer, scores: w.scores.pointer
                        )
                    } else {
                        // scores = Q·Kᵀ, softmax, output = P·V.
                        let scores = w.scores.pointer
                        try GEMM.multiplyTransposed(m: length, n: length, k: headSize, base, lda: 3 * h, base + h, ldb: 3 * h, beta: 0, scores, ldc: length)
                        Kernels.softmax(scores, rows: length, length: length, stride: length)
                        try GEMM.multiply(m: length, n: headSize, k: length, scores, lda: length, base + 2 * h, ldb: 3 * h, output, ldc: h)
                    }
                }
                start += length
            }

            // hidden = LayerNorm(hidden + context · Woᵀ + bo): the GEMM accumulates into the residual.
            try project(rows: tokens, context, inputs: h, weight: layer.outputWeight, reduced: reduced?.output, outputs: h, accumulate: true, into: hidden, workspace: w)
            Kernels.biasLayerNorm(hidden, rows: tokens, columns: h, bias: layer.outputBias, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, epsilon: c.layerNormEpsilon)

            // hidden = LayerNorm(hidden + GELU(hidden · W1ᵀ + b1) · W2ᵀ + b2).
            try project(rows: tokens, hidden, inputs: h, weight: layer.intermediateWeight, reduced: reduced?.intermediate, outputs: inter, accumulate: false, into: intermediate, workspace: w)
            Kernels.biasGELU(intermediate, rows: tokens, columns: inter, bias: layer.intermediateBias)
            try project(rows: tokens, intermediate, inputs: inter, weight: layer.feedForwardWeight, reduced: reduced?.feedForward, outputs: h, accumulate: true, into: hidden, workspace: w)
            Kernels.biasLayerNorm(hidden, rows: tokens, columns: h, bias: layer.feedForwardBias, gamma: layer.feedForwardNormGamma, beta: layer.feedForwardNormBeta, epsilon: c.layerNormEpsilon)
        }

        var start = 0
        for ids in batch {
            results.append([Float](unsafeUninitializedCapacity: h) { buffer, count in
                Kernels.meanPoolNormalize(hidden + start * h, rows: ids.count, columns: h, into: buffer)
                count = h
            })
            start += ids.count
        }
    }
}
