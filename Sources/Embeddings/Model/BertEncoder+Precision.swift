extension BertEncoder {
    /// The arithmetic of the dense layers' matrix products; everything else (attention,
    /// LayerNorm, GELU, pooling) stays in f32. Vectors of two precisions differ slightly,
    /// so each precision is its own embedding space (``LocalEmbedder``).
    public enum Precision: String, Sendable, CaseIterable {
        /// oneDNN SGEMM: the sentence-transformers vectors to cosine ≥ 0.9999.
        case fp32
        /// bf16 inputs and weights, f32 accumulation (oneDNN matmul, AVX512-BF16 or AMX):
        /// about 1.6× the throughput, cosine ≥ 0.999 to fp32 (docs/benchmarks.md).
        case bf16

        /// Whether this CPU runs the precision's products in hardware; an encoder in a
        /// precision it does not refuses to load.
        public var isAccelerated: Bool {
            switch self {
            case .fp32: true
            case .bf16: BFloat16Linear.isAccelerated
            }
        }
    }

    /// One encoder layer's four weights in bf16.
    struct BFloat16Layer: Sendable {
        var qkv, output, intermediate, feedForward: BFloat16Linear

        init(_ layer: Parameters.Layer, configuration c: Configuration) throws(BertEncoder.Error) {
            let (h, i) = (c.hiddenSize, c.intermediateSize)
            qkv = try BFloat16Linear(layer.qkvWeight, outputs: 3 * h, inputs: h, accumulates: false)
            output = try BFloat16Linear(layer.outputWeight, outputs: h, inputs: h, accumulates: true)
            intermediate = try BFloat16Linear(layer.intermediateWeight, outputs: i, inputs: h, accumulates: false)
            feedForward = try BFloat16Linear(layer.feedForwardWeight, outputs: h, inputs: i, accumulates: true)
        }
    }

    /// `C = A · Wᵀ` (or `C += A · Wᵀ` when `accumulate`, for a residual), A and C dense:
    /// in bf16 when the layer has a bf16 weight, else SGEMM on the f32 one.
    func project(
        rows: Int, _ a: UnsafePointer<Float>, inputs: Int,
        weight: UnsafePointer<Float>, reduced: BFloat16Linear?, outputs: Int, accumulate: Bool,
        into c: UnsafeMutablePointer<Float>, workspace w: Workspace
    ) throws(BertEncoder.Error) {
        guard let reduced else {
            try GEMM.multiplyTransposed(
                m: rows, n: outputs, k: inputs, a, lda: inputs, weight, ldb: inputs, beta: accumulate ? 1 : 0, c, ldc: outputs)
            return
        }
        let bits = w.bits.pointer
        Kernels.bfloat16(a, into: bits, count: rows * inputs)
        try reduced.apply(rows: rows, bits, lda: inputs, c, ldc: outputs, primitives: try w.primitives())
    }
}
