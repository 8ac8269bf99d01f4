import Foundation

/// The encoder's element-wise and attention loops, on 16-float vectors. Everything
/// here works on raw buffers the caller owns and allocates nothing.
enum Kernels {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    // The standard library's `pointwiseMin`/`pointwiseMax`/`clamped` go lane by lane
    // (NaN rules); compare-and-select compiles to vector compares and blends.
    @inline(__always)
    static func maximum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .> a) }

    @inline(__always)
    static func clamp(_ x: Vector, _ low: Float, _ high: Float) -> Vector {
        x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    }

    // MARK: exp / erf

    /// e^x for |x| ≲ 87, Cephes `expf` (range reduction by ln 2, degree-6 polynomial),
    /// within ~2 ulp. Inputs are clamped, so -inf/large negatives give ~1e-38.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let magic = Vector(repeating: 12_582_912)  // 1.5 × 2^23: adding it rounds to an integer
        let x = clamp(x, -87.3, 88.3)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        // 2^n from the integer sitting in the low mantissa bits of `shifted`.
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        return p * scale
    }

    /// erf(x) as the rational function x·P(x²)/Q(x²) on [-4, 4] (±1 outside, where
    /// erf rounds to ±1 in single precision). The coefficients are Eigen's and XLA's
    /// float erf (max error ≈ 1e-7); no exp, one division.
    @inline(__always)
    static func erf(_ x: Vector) -> Vector {
        let x = clamp(x, -4, 4)
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

    /// x · Φ(x) = ½x(1 + erf(x/√2)), the exact ("erf") GELU of BERT.
    @inline(__always)
    static func gelu(_ x: Vector) -> Vector {
        let half = x * 0.5
        return half + half * erf(x * 0.707_106_77)
    }

    // MARK: row operations

    /// `rows[r] = gelu(rows[r] + bias)` for every row of `columns` floats.
    static func biasGELU(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = data + r &* columns
            var c = 0
            while c < columns {
                store(gelu(load(row + c) + load(bias + c)), row + c)
                c &+= width
            }
        }
    }

    /// `rows[r] += bias` for `rows` rows of `columns` floats spaced `stride` apart.
    static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = data + r &* stride
            var c = 0
            while c < columns {
                store(load(row + c) + load(bias + c), row + c)
                c &+= width
            }
        }
    }

    /// In place: `x = LayerNorm(x + bias) · gamma + beta` per row (population variance,
    /// as PyTorch). `bias` may be nil.
    static func biasLayerNorm(
        _ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        bias: UnsafePointer<Float>?, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        let inverseCount = 1 / Float(columns)
        for r in 0..<rows {
            let row = data + r &* columns
            var sum = Vector()
            var c = 0
            if let bias {
                while c < columns {
                    let v = load(row + c) + load(bias + c)
                    store(v, row + c)
                    sum += v
                    c &+= width
                }
            } else {
                while c < columns {
                    sum += load(row + c)
                    c &+= width
                }
            }
            let mean = sum.sum() * inverseCount
            var squares = Vector()
            c = 0
            while c < columns {
                let d = load(row + c) - mean
                squares += d * d
                c &+= width
            }
            let scale = 1 / (squares.sum() * inverseCount + epsilon).squareRoot()
            c = 0
            while c < columns {
                let v = (load(row + c) - mean) * scale
                store(v * load(gamma + c) + load(beta + c), row + c)
                c &+= width
            }
        }
    }

    // MARK: attention

    /// Scaled dot-product attention of one head of one sequence, all `length` positions
    /// valid (sequences are packed, so there is no padding to mask).
    /// `query`/`key`/`value` point at position 0 of this head, rows `stride` floats apart
    /// (the fused QKV buffer); the query is already scaled by 1/√headSize. Writes
    /// `length` rows of `headSize` floats to `output`, rows `outputStride` apart.
    /// `keysT` needs `headSize × paddedLength` floats and `scores` `length × paddedLength`,
    /// where `paddedLength` is `length` rounded up to a multiple of 16.
    static func attention(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int,
        length: Int, headSize: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        keysT: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let padded = (length &+ width &- 1) / width &* width
        // K transposed to [headSize][padded], zero beyond `length`, so a score row is
        // a sum of broadcast(q[d]) × contiguous key columns.
        for d in 0..<headSize {
            let column = keysT + d &* padded
            for j in 0..<length { column[j] = key[j &* stride &+ d] }
            for j in length..<padded { column[j] = 0 }
        }

        // scores = Q·Kᵀ, four query rows at a time so each key load feeds four chains.
        var i = 0
        while i < length {
            let rowsHere = min(4, length &- i)
            let q0 = query + i &* stride
            let q1 = rowsHere > 1 ? q0 + stride : q0
            let q2 = rowsHere > 2 ? q0 + 2 &* stride : q0
            let q3 = rowsHere > 3 ? q0 + 3 &* stride : q0
            var jc = 0
            while jc < padded {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                var k = keysT + jc
                for d in 0..<headSize {
                    let kv = load(k)
                    a0 += kv * q0[d]
                    a1 += kv * q1[d]
                    a2 += kv * q2[d]
                    a3 += kv * q3[d]
                    k += padded
                }
                let s = scores + (i &* padded &+ jc)
                store(a0, s)
                if rowsHere > 1 { store(a1, s + padded) }
                if rowsHere > 2 { store(a2, s + 2 &* padded) }
                if rowsHere > 3 { store(a3, s + 3 &* padded) }
                jc &+= width
            }
            i &+= 4
        }

        // Row softmax over the `length` valid columns; padding lanes end up 0.
        let lastChunk = padded &- width
        let tailMask = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .>= SIMD16<Int32>(repeating: Int32(length &- lastChunk))
        for i in 0..<length {
            let row = scores + i &* padded
            var maxima = Vector(repeating: -.infinity)
            var c = 0
            while c < lastChunk {
                maxima = maximum(maxima, load(row + c))
                c &+= width
            }
            maxima = maximum(maxima, load(row + lastChunk).replacing(with: -.infinity, where: tailMask))
            let rowMax = maxima.max()
            var sums = Vector()
            c = 0
            while c < lastChunk {
                let e = exp(load(row + c) - rowMax)
                store(e, row + c)
                sums += e
                c &+= width
            }
            let e = exp(load(row + lastChunk) - rowMax).replacing(with: 0, where: tailMask)
            store(e, row + lastChunk)
            sums += e
            let inverse = 1 / sums.sum()
            c = 0
            while c < padded {
                store(load(row + c) * inverse, row + c)
                c &+= width
            }
        }

        // output = P·V, 64 output columns (four vectors) per pass over the row.
        for i in 0..<length {
            let p = scores + i &* padded
            let out = output + i &* outputStride
            var dc = 0
            while dc < headSize {
                if headSize &- dc >= 4 &* width {
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                    var v = value + dc
                    for j in 0..<length {
                        let w = p[j]
                        a0 += load(v) * w
                        a1 += load(v + width) * w
                        a2 += load(v + 2 &* width) * w
                        a3 += load(v + 3 &* width) * w
                        v += stride
                    }
                    store(a0, out + dc)
                    store(a1, out + (dc &+ width))
                    store(a2, out + (dc &+ 2 &* width))
                    store(a3, out + (dc &+ 3 &* width))
                    dc &+= 4 &* width
                } else {
                    var a0 = Vector()
                    var v = value + dc
                    for j in 0..<length {
                        a0 += load(v) * p[j]
                        v += stride
                    }
                    store(a0, out + dc)
                    dc &+= width
                }
            }
        }
    }

    // MARK: pooling

    /// Mean of `rows` rows of `columns` floats, then L2-normalized (eps 1e-12, as
    /// `torch.nn.functional.normalize`).
    static func meanPoolNormalize(_ data: UnsafePointer<Float>, rows: Int, columns: Int, into output: UnsafeMutableBufferPointer<Float>) {
        for c in 0..<columns { output[c] = 0 }
        let out = output.baseAddress!
        for r in 0..<rows {
            let row = data + r &* columns
            var c = 0
            while c < columns {
                store(load(out + c) + load(row + c), out + c)
                c &+= width
            }
        }
        let inverseRows = 1 / Float(rows)
        var squares = Vector()
        var c = 0
        while c < columns {
            let v = load(out + c) * inverseRows
            store(v, out + c)
            squares += v * v
            c &+= width
        }
        let scale = 1 / max(squares.sum().squareRoot(), 1e-12)
        c = 0
        while c < columns {
            store(load(out + c) * scale, out + c)
            c &+= width
        }
    }
}
