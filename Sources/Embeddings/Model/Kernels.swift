/// The encoder's element-wise, normalization and small-attention loops. They work on
/// buffers the caller owns and allocate nothing.
///
/// Written as plain `Float` loops that LLVM vectorizes in release builds (no calls, no
/// cross-iteration dependences, selects instead of branches; sums and dot products in
/// 16 independent accumulators, since float addition is never reassociated). The same
/// code with `SIMD16<Float>` is no faster in release but, being generic, about 40×
/// slower in debug builds, where the tests run.
enum Kernels {
    /// Row lengths must be multiples of this (checked in `Configuration.validate`).
    static let lanes = 16

    // MARK: exp / erf / GELU

    /// e^x, Cephes `expf`: range reduction by ln 2 and a degree-6 polynomial (relative
    /// error < 1e-7 on [-87, 0], the range softmax uses). Inputs are clamped to
    /// [-87.3, 88.3], so very negative inputs give ~1e-38 rather than 0.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        var x = x < -87.3 ? -87.3 : x
        x = x > 88.3 ? 88.3 : x
        let magic: Float = 12_582_912  // 1.5 × 2^23: adding it rounds to an integer
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        // 2^n, from the integer sitting in the low mantissa bits of `shifted`.
        let exponent = (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23
        return p * Float(bitPattern: exponent)
    }

    /// erf(x) as the rational function x·P(x²)/Q(x²) on [-4, 4] (±1 outside, where erf
    /// rounds to ±1 in single precision); Eigen's and XLA's float erf. Absolute error
    /// < 5e-7 against double-precision erf (GELU: < 1.4e-6 on [-10, 10]).
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        var x = x < -4 ? -4 : x
        x = x > 4 ? 4 : x
        let x2 = x * x
        var p = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
        p = x2 * p - 2.101_024_020_825_08e-06
        p = x2 * p - 5.692_506_394_623_46e-05
        p = x2 * p - 7.349_906_303_268_55e-04
        p = x2 * p - 2.954_599_808_540_25e-03
        p = x2 * p - 1.609_603_332_624_15e-02
        var q = x2 * -1.456_607_184_649_96e-05 - 2.133_740_552_789_05e-04
        q = x2 * q - 1.682_826_974_382_03e-03
        q = x2 * q - 7.373_329_167_204_68e-03
        q = x2 * q - 1.426_473_905_141_89e-02
        return x * p / q
    }

    /// x · Φ(x) = ½x(1 + erf(x/√2)), BERT's exact ("erf") GELU.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        let half = x * 0.5
        return half + half * erf(x * 0.707_106_77)
    }

    // MARK: rows

    /// Sixteen accumulators as separate stored floats: LLVM's SLP vectorizer turns the
    /// unrolled updates into vector instructions, and unlike `SIMD16<Float>` nothing
    /// here is generic, so debug builds stay fast too.
    struct Accumulator16 {
        var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
        var a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
        var a8: Float = 0, a9: Float = 0, a10: Float = 0, a11: Float = 0
        var a12: Float = 0, a13: Float = 0, a14: Float = 0, a15: Float = 0

        /// self += s × x[0..<16]
        @inline(__always)
        mutating func add(_ s: Float, times x: UnsafePointer<Float>) {
            a0 += s * x[0]; a1 += s * x[1]; a2 += s * x[2]; a3 += s * x[3]
            a4 += s * x[4]; a5 += s * x[5]; a6 += s * x[6]; a7 += s * x[7]
            a8 += s * x[8]; a9 += s * x[9]; a10 += s * x[10]; a11 += s * x[11]
            a12 += s * x[12]; a13 += s * x[13]; a14 += s * x[14]; a15 += s * x[15]
        }

        /// self += x[0..<16]
        @inline(__always)
        mutating func add(_ x: UnsafePointer<Float>) {
            a0 += x[0]; a1 += x[1]; a2 += x[2]; a3 += x[3]
            a4 += x[4]; a5 += x[5]; a6 += x[6]; a7 += x[7]
            a8 += x[8]; a9 += x[9]; a10 += x[10]; a11 += x[11]
            a12 += x[12]; a13 += x[13]; a14 += x[14]; a15 += x[15]
        }

        /// self += (x[0..<16] - m)²
        @inline(__always)
        mutating func addSquares(_ x: UnsafePointer<Float>, minus m: Float) {
            var d = x[0] - m; a0 += d * d; d = x[1] - m; a1 += d * d
            d = x[2] - m; a2 += d * d; d = x[3] - m; a3 += d * d
            d = x[4] - m; a4 += d * d; d = x[5] - m; a5 += d * d
            d = x[6] - m; a6 += d * d; d = x[7] - m; a7 += d * d
            d = x[8] - m; a8 += d * d; d = x[9] - m; a9 += d * d
            d = x[10] - m; a10 += d * d; d = x[11] - m; a11 += d * d
            d = x[12] - m; a12 += d * d; d = x[13] - m; a13 += d * d
            d = x[14] - m; a14 += d * d; d = x[15] - m; a15 += d * d
        }

        /// The sum of the sixteen, pairwise.
        @inline(__always)
        var total: Float {
            (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + (((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)))
        }

        @inline(__always)
        func store(to x: UnsafeMutablePointer<Float>) {
            x[0] = a0; x[1] = a1; x[2] = a2; x[3] = a3
            x[4] = a4; x[5] = a5; x[6] = a6; x[7] = a7
            x[8] = a8; x[9] = a9; x[10] = a10; x[11] = a11
            x[12] = a12; x[13] = a13; x[14] = a14; x[15] = a15
        }
    }


    /// `row = gelu(row + bias)` for each of `rows` rows of `columns` floats.
    static func biasGELU(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = data + r * columns
            for c in 0..<columns { row[c] = gelu(row[c] + bias[c]) }
        }
    }

    /// `row += bias` for `rows` rows of `columns` floats spaced `stride` apart.
    static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = data + r * stride
            for c in 0..<columns { row[c] += bias[c] }
        }
    }

    /// `out = a + b`, `count` floats.
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for c in 0..<count { out[c] = a[c] + b[c] }
    }

    /// In place: `row = LayerNorm(row + bias) · gamma + beta` (population variance, as
    /// PyTorch). `bias` may be nil.
    static func biasLayerNorm(
        _ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        bias: UnsafePointer<Float>?, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        let inverseCount = 1 / Float(columns)
        for r in 0..<rows {
            let row = data + r * columns
            if let bias {
                for c in 0..<columns { row[c] += bias[c] }
            }
            // Two passes (mean, then squared deviations) in 16 partial sums each.
            var sums = Accumulator16()
            var c = 0
            while c < columns {
                sums.add(UnsafePointer(row + c))
                c += lanes
            }
            let mean = sums.total * inverseCount
            var squares = Accumulator16()
            c = 0
            while c < columns {
                squares.addSquares(UnsafePointer(row + c), minus: mean)
                c += lanes
            }
            let scale = 1 / (squares.total * inverseCount + epsilon).squareRoot()
            for c in 0..<columns { row[c] = (row[c] - mean) * scale * gamma[c] + beta[c] }
        }
    }

    /// In place, each of `rows` rows of `length` floats (rows `stride` apart) becomes
    /// its softmax.
    static func softmax(_ data: UnsafeMutablePointer<Float>, rows: Int, length: Int, stride: Int) {
        for r in 0..<rows {
            let row = data + r * stride
            var maximum = row[0]
            for j in 1..<max(length, 1) { maximum = row[j] > maximum ? row[j] : maximum }
            for j in 0..<length { row[j] = exp(row[j] - maximum) }
            var total: Float = 0
            for j in 0..<length { total += row[j] }
            let inverse = 1 / total
            for j in 0..<length { row[j] *= inverse }
        }
    }

    // MARK: bf16

    /// f32 → bf16 (the upper 16 bits), rounded to nearest even. Inputs are finite.
    static func bfloat16(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        source.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            for i in 0..<count {
                let b = bits[i]
                target[i] = UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b &>> 16) & 1)) &>> 16)
            }
        }
    }

    // MARK: attention

    /// `length` rounded up to a multiple of 16: the row length of `scores` and `keysT`
    /// in `attention`.
    static func paddedLength(_ length: Int) -> Int { (length + lanes - 1) / lanes * lanes }

    /// Scaled dot-product attention of one head of one short sequence (all `length`
    /// positions valid: sequences are packed, so there is no padding to mask).
    /// `query`/`key`/`value` point at position 0 of this head, rows `stride` apart (the
    /// fused QKV buffer); queries are pre-scaled by 1/√headSize, and `headSize` is a
    /// multiple of 16. Writes `length` rows of `headSize` to `output`, rows
    /// `outputStride` apart. With `padded = paddedLength(length)`, `keysT` holds
    /// `headSize × padded` floats and `scores` `length × padded`.
    ///
    /// For long sequences the two products go through SGEMM instead (see `forward`).
    static func attention(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int,
        length: Int, headSize: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        keysT: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let padded = paddedLength(length)
        // Kᵀ, zero beyond `length`, so 16 scores are 16 accumulators fed along d.
        for d in 0..<headSize {
            let column = keysT + d * padded
            for j in 0..<length { column[j] = key[j * stride + d] }
            for j in length..<padded { column[j] = 0 }
        }
        // scores = Q·Kᵀ, two query rows per pass so each key load feeds both.
        var i = 0
        while i < length {
            let q0 = query + i * stride
            let q1 = i + 1 < length ? q0 + stride : q0
            var jc = 0
            while jc < padded {
                var s0 = Accumulator16(), s1 = Accumulator16()
                var k = UnsafePointer(keysT + jc)
                for d in 0..<headSize {
                    s0.add(q0[d], times: k)
                    s1.add(q1[d], times: k)
                    k += padded
                }
                s0.store(to: scores + i * padded + jc)
                if i + 1 < length { s1.store(to: scores + (i + 1) * padded + jc) }
                jc += lanes
            }
            i += 2
        }
        softmax(scores, rows: length, length: length, stride: padded)
        // output = P·V, 16 output columns per pass over the probabilities.
        for i in 0..<length {
            let p = scores + i * padded
            let out = output + i * outputStride
            var dc = 0
            while dc < headSize {
                var o = Accumulator16()
                var v = value + dc
                for j in 0..<length {
                    o.add(p[j], times: v)
                    v += stride
                }
                o.store(to: out + dc)
                dc += lanes
            }
        }
    }

    // MARK: pooling

    /// Mean of `rows` rows of `columns` floats, L2-normalized (eps 1e-12, as
    /// `torch.nn.functional.normalize`).
    static func meanPoolNormalize(_ data: UnsafePointer<Float>, rows: Int, columns: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let out = output.baseAddress!
        for c in 0..<columns { out[c] = 0 }
        for r in 0..<rows {
            let row = data + r * columns
            for c in 0..<columns { out[c] += row[c] }
        }
        let inverseRows = 1 / Float(rows)
        var squares: Float = 0
        for c in 0..<columns {
            out[c] *= inverseRows
            squares += out[c] * out[c]
        }
        let scale = 1 / max(squares.squareRoot(), 1e-12)
        for c in 0..<columns { out[c] *= scale }
    }
}
