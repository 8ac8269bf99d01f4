import Embeddings
import Foundation
import Testing

@Suite("BertEncoder: loading config.json and model.safetensors")
struct EncoderLoadingTests {
    /// Loads the tiny model written by `configure`, or returns the error it fails with.
    private func load(_ configure: (URL) throws -> Void) throws -> Result<BertEncoder, BertEncoder.Error> {
        let directory = try EncoderTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try configure(directory)
        do {
            return .success(try BertEncoder(modelDirectory: directory))
        } catch {
            return .failure(error)
        }
    }

    private func loadingError(_ configure: (URL) throws -> Void) throws -> BertEncoder.Error {
        switch try load(configure) {
        case .success: throw LoadedUnexpectedly()
        case .failure(let error): return error
        }
    }

    private struct LoadedUnexpectedly: Error {}

    private let model = TinyBertModel()
    private let sequences: [[Int32]] = [[1, 5, 9, 2], [1, 2], [1, 30, 31, 32, 33, 34, 35, 36, 2]]

    @Test("a tiny F32 model loads and gives finite unit vectors")
    func tinyModel() throws {
        let encoder = try load { try model.write(to: $0) }.get()
        #expect(encoder.dimensions == 32)
        #expect(encoder.configuration.layers == 2)
        let vectors = try encoder.encode(sequences)
        for vector in vectors {
            #expect(vector.allSatisfy { $0.isFinite })
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
    }

    @Test("F16 and BF16 weights are converted to the same floats as F32", arguments: [TinyBertModel.DType.f16, .bf16])
    func halfPrecision(dtype: TinyBertModel.DType) throws {
        let reference = try load { try model.write(to: $0) }.get()
        let converted = try load { try model.write(to: $0, dtype: dtype) }.get()
        #expect(try converted.encode(sequences) == reference.encode(sequences))
    }

    @Test("tensor names under a bert. prefix are found")
    func prefixedNames() throws {
        let reference = try load { try model.write(to: $0) }.get()
        let prefixed = try load { try model.write(to: $0, prefix: "bert.") }.get()
        #expect(try prefixed.encode(sequences) == reference.encode(sequences))
    }

    @Test("the weights hash identifies the file's content")
    func weightsHash() throws {
        let a = try load { try model.write(to: $0) }.get()
        let b = try load { try model.write(to: $0) }.get()
        let c = try load { try model.write(to: $0, dtype: .bf16) }.get()
        #expect(a.weightsHash == b.weightsHash)
        #expect(a.weightsHash != c.weightsHash)
        #expect(a.weightsHash.count == 64)
    }

    @Test("a missing model directory")
    func missingDirectory() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-no-such-model-\(UUID().uuidString)")
        let error = #expect(throws: BertEncoder.Error.self) { try BertEncoder(modelDirectory: missing) }
        #expect(error?.code == .fileNotFound)
        #expect(error?.path == missing.path)
    }

    @Test("a directory without model.safetensors")
    func missingWeights() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            try FileManager.default.removeItem(at: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(error.code == .fileNotFound)
        #expect(error.path?.hasSuffix("model.safetensors") == true)
    }

    @Test("a directory without config.json")
    func missingConfig() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            try FileManager.default.removeItem(at: directory.appendingPathComponent("config.json"))
        }
        #expect(error.code == .fileNotFound)
        #expect(error.path?.hasSuffix("config.json") == true)
    }

    @Test("a safetensors file cut short, at every part of the file", arguments: [0, 5, 8, 100, -1])
    func truncatedFile(keep: Int) throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            let url = directory.appendingPathComponent("model.safetensors")
            let bytes = try Data(contentsOf: url)
            // -1: all but the last byte (the header is intact, the last tensor is short).
            try bytes.prefix(keep < 0 ? bytes.count - 1 : keep).write(to: url)
        }
        #expect(error.code == .corruptFile)
        #expect(error.message.contains("truncated") || error.message.contains("too short"), "\(error)")
    }

    @Test("the real model file cut in half")
    func truncatedRealModel() throws {
        let source = try EncoderTestSupport.requireModel()
        let error = try loadingError { directory in
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
            let handle = try FileHandle(forReadingFrom: source.appendingPathComponent("model.safetensors"))
            defer { try? handle.close() }
            let half = try handle.read(upToCount: 45_000_000) ?? Data()
            try half.write(to: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(error.code == .corruptFile)
        #expect(error.message.contains("truncated"), "\(error)")
    }

    @Test("a header that is not JSON")
    func corruptHeader() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            var file = Data()
            let junk = Data("{\"embeddings.word_embeddings.weight\": [1, 2".utf8)
            withUnsafeBytes(of: UInt64(junk.count).littleEndian) { file.append(contentsOf: $0) }
            file.append(junk)
            try file.write(to: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(error.code == .corruptFile)
    }

    @Test("a header length larger than the file")
    func implausibleHeaderLength() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            var file = Data()
            withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { file.append(contentsOf: $0) }
            file.append(Data("{}".utf8))
            try file.write(to: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(error.code == .corruptFile)
    }

    @Test("data offsets that disagree with dtype and shape")
    func inconsistentOffsets() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            let header: [String: Any] = ["embeddings.LayerNorm.bias": ["dtype": "F32", "shape": [32], "data_offsets": [0, 64]]]
            try TinyBertModel.safetensors(header: header, data: Data(count: 128)).write(to: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(error.code == .corruptFile)
        #expect(error.message.contains("embeddings.LayerNorm.bias"))
    }

    @Test("a missing tensor is named")
    func missingTensor() throws {
        let error = try loadingError { try model.write(to: $0, omit: ["encoder.layer.1.output.dense.bias"]) }
        #expect(error.code == .missingTensor)
        #expect(error.message.contains("encoder.layer.1.output.dense.bias"))
    }

    @Test("a tensor whose shape disagrees with config.json")
    func wrongShape() throws {
        let error = try loadingError { try model.write(to: $0, reshape: ["encoder.layer.0.intermediate.dense.weight": [64, 16]]) }
        #expect(error.code == .shapeMismatch)
        #expect(error.message.contains("encoder.layer.0.intermediate.dense.weight"))
        #expect(error.message.contains("[64, 16]") && error.message.contains("[64, 32]"), "\(error)")
    }

    @Test("a weights dtype the encoder cannot read")
    func unsupportedDType() throws {
        let error = try loadingError { directory in
            try model.write(to: directory)
            // Relabel one F32 tensor as I32: same shape and byte length, unreadable as floats.
            let url = directory.appendingPathComponent("model.safetensors")
            let bytes = try Data(contentsOf: url)
            let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
            var header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any])
            var entry = try #require(header["embeddings.LayerNorm.bias"] as? [String: Any])
            entry["dtype"] = "I32"
            header["embeddings.LayerNorm.bias"] = entry
            try TinyBertModel.safetensors(header: header, data: bytes.subdata(in: (8 + length)..<bytes.count)).write(to: url)
        }
        #expect(error.code == .unsupportedDType, "\(error)")
        #expect(error.message.contains("embeddings.LayerNorm.bias"))
    }

    @Test("config.json without a required field, or with an unsupported activation")
    func invalidConfig() throws {
        for edit: (inout [String: Any]) -> Void in [{ $0["hidden_size"] = nil }, { $0["hidden_act"] = "relu" }, { $0["num_attention_heads"] = 5 }] {
            let error = try loadingError { directory in
                try model.write(to: directory)
                var config = model.config
                edit(&config)
                try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
            }
            #expect(error.code == .invalidConfiguration, "\(error)")
        }
    }
}
