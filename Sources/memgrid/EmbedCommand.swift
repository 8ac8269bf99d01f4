import ArgumentParser
import Embeddings
import Foundation
import Logging
import Tokenizer

/// `memgrid embed`: JSON lines `{"text": …}` in, `{"embedding": […]}` (or `{"tokens": […]}`)
/// out, in order, with the local model and no servers. For debugging and checking the model.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed JSON lines from stdin with the local model (no servers needed).")

    @Option(help: "Model directory (default: MEMGRID_MODEL_DIR, else the local stack's venv).")
    var modelDir: String?

    @Flag(help: "Print the token ids instead of the embedding.")
    var tokens = false

    @Option(help: "Texts embedded per model call.")
    var batch = 64

    struct Input: Decodable { var text: String }

    func run() async throws {
        let directory = modelDir.map(URL.init(fileURLWithPath:)) ?? ModelDirectory.resolve()
        let decoder = JSONDecoder()
        var texts: [String] = []
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let input = try? decoder.decode(Input.self, from: Data(line.utf8)) else {
                throw ValidationError("line \(lineNumber): expected {\"text\": \"…\"}")
            }
            texts.append(input.text)
        }
        if tokens {
            let tokenizer = try WordPieceTokenizer(modelDirectory: directory)
            for text in texts { emit(["tokens": tokenizer.encode(text).map(Int.init)]) }
            return
        }
        let embedder = try LocalEmbedder(modelDirectory: directory, logger: Logger(label: "memgrid.embed"))
        for start in stride(from: 0, to: texts.count, by: max(1, batch)) {
            let vectors = try await embedder.embed(Array(texts[start..<min(start + batch, texts.count)]))
            for vector in vectors { emit(["embedding": vector]) }
        }
    }

    private func emit<T: Encodable>(_ value: [String: T]) {
        var data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        data.append(0x0A)
        FileHandle.standardOutput.write(data)
    }
}
