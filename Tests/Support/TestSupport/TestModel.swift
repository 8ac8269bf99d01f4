public import Embeddings
public import Foundation
import Logging
import Tokenizer

/// all-MiniLM-L6-v2 from the local stack (or `MEMGRID_MODEL_DIR`), loaded once per test
/// process and shared by every suite that runs an embedding worker.
public enum TestModel {
    public static var directory: URL { ModelDirectory.resolve(relativeTo: TestBroker.repositoryRoot) }

    public static let embedder: LocalEmbedder = {
        try! LocalEmbedder(modelDirectory: directory, logger: Logger(label: "test.embedder"))
    }()

    /// The same model with bf16 dense layers: its own embedding space. Fails (rather than
    /// crashes) on a CPU without bf16 matrix instructions.
    public static let bfloat16Embedder = Result {
        try LocalEmbedder(modelDirectory: directory, precision: .bf16, logger: Logger(label: "test.embedder.bf16"))
    }
}

extension TestModel {
    /// A second model for model-change tests: the same files, one weight changed, so it
    /// loads as a different embedding space (its revision is the weights' hash). The
    /// changed float is the file's last, a `pooler` weight the sentence model never reads,
    /// so its vectors equal the original's and tests compare them exactly.
    public static let nextEmbedder: LocalEmbedder = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("memgrid-next-model-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: directory)
        try! FileManager.default.copyItem(at: TestModel.directory, to: directory)
        let weights = directory.appendingPathComponent("model.safetensors")
        let handle = try! FileHandle(forUpdating: weights)
        let end = try! handle.seekToEnd()
        try! handle.seek(toOffset: end - 4)
        var value = Float(bitPattern: UInt32(littleEndian: handle.readData(ofLength: 4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        value = value * 0.5 + 0.25
        try! handle.seek(toOffset: end - 4)
        handle.write(withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) })
        try! handle.close()
        defer { try? FileManager.default.removeItem(at: directory) }  // loaded into memory
        return try! LocalEmbedder(modelDirectory: directory, logger: Logger(label: "test.next-embedder"))
    }()
}
