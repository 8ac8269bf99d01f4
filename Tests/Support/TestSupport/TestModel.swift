public import Embeddings
public import Foundation
import Logging

/// all-MiniLM-L6-v2 from the local stack (or `MEMGRID_MODEL_DIR`), loaded once per test
/// process and shared by every suite that runs an embedding worker.
public enum TestModel {
    public static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["MEMGRID_MODEL_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return TestBroker.repositoryRoot.appendingPathComponent(LocalEmbedder.defaultModelPath)
    }

    public static let embedder: LocalEmbedder = {
        try! LocalEmbedder(modelDirectory: directory, logger: Logger(label: "test.embedder"))
    }()
}
