import Embeddings
import Foundation
import Logging
import Testing

@Suite("LocalEmbedder: texts to all-MiniLM-L6-v2 vectors")
struct LocalEmbedderTests {
    @Test("fixture texts give the sentence-transformers embedding (cosine ≥ 0.9999)")
    func parityWithSentenceTransformers() async throws {
        let embedder = try EncoderTestSupport.embedder()
        let fixture = try ParityFixture.load()
        let vectors = try await embedder.embed(fixture.items.map(\.text))
        try #require(vectors.count == fixture.items.count)
        var worst = Float(1)
        for (item, vector) in zip(fixture.items, vectors) {
            let cosine = EncoderTestSupport.cosine(vector, item.embedding)
            worst = min(worst, cosine)
            #expect(cosine >= 0.9999, "cosine \(cosine): \(item.text.prefix(60))")
        }
        print("local embedder parity: \(fixture.items.count) items, min cosine \(worst)")
    }

    @Test("results come back in input order, whatever the grouping")
    func orderPreserved() async throws {
        let embedder = try EncoderTestSupport.embedder()
        let texts = Array(try ParityFixture.load().items.map(\.text).prefix(24))
        let forward = try await embedder.embed(texts)
        let backward = try await embedder.embed(texts.reversed())
        try #require(forward.count == texts.count && backward.count == texts.count)
        for (index, text) in texts.enumerated() {
            let alone = try #require(try await embedder.embed([text]).first)
            #expect(EncoderTestSupport.maxAbsoluteDifference(forward[index], alone) <= 1e-5, "text \(index)")
            #expect(EncoderTestSupport.maxAbsoluteDifference(backward[texts.count - 1 - index], alone) <= 1e-5, "text \(index) reversed")
        }
    }

    @Test("a text alone and inside a batch of mixed lengths gives the same vector")
    func batchingInvariance() async throws {
        let embedder = try EncoderTestSupport.embedder()
        let text = "The agent remembers that the user prefers short answers about travel plans."
        let others = [
            "ok", String(repeating: "memory store keeps every conversation summary ", count: 40),
            "Meeting moved to Friday.", "naïve café déjà vu — 東京",
        ]
        let alone = try #require(try await embedder.embed([text]).first)
        for position in 0...others.count {
            var batch = others
            batch.insert(text, at: position)
            let vectors = try await embedder.embed(batch)
            let difference = EncoderTestSupport.maxAbsoluteDifference(vectors[position], alone)
            #expect(difference <= 1e-5, "at position \(position): max |Δ| \(difference)")
        }
    }

    @Test("one thread or two, small or large budget: the same vectors")
    func independentOfThreadsAndBudget() async throws {
        let directory = try EncoderTestSupport.requireModel()
        let texts = Array(try ParityFixture.load().items.map(\.text).prefix(50))
        let reference = try await EncoderTestSupport.embedder().embed(texts)
        let other = try LocalEmbedder(modelDirectory: directory, maxBatchTokens: 300, threads: 1, logger: Logger(label: "memgrid.test"))
        let vectors = try await other.embed(texts)
        for (a, b) in zip(vectors, reference) {
            #expect(EncoderTestSupport.maxAbsoluteDifference(a, b) <= 1e-5)
        }
    }

    @Test("concurrent calls share the compute threads and each gets its own results")
    func concurrentCalls() async throws {
        let embedder = try EncoderTestSupport.embedder()
        let texts = try ParityFixture.load().items.map(\.text)
        let slices = (0..<8).map { Array(texts[($0 * 7)..<($0 * 7 + 9)]) }
        var expected: [[[Float]]] = []
        for slice in slices { expected.append(try await embedder.embed(slice)) }
        let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (index, slice) in slices.enumerated() {
                group.addTask { (index, try await embedder.embed(slice)) }
            }
            var results = [[[Float]]](repeating: [], count: slices.count)
            for try await (index, vectors) in group { results[index] = vectors }
            return results
        }
        for (got, want) in zip(results, expected) {
            try #require(got.count == want.count)
            for (a, b) in zip(got, want) { #expect(EncoderTestSupport.maxAbsoluteDifference(a, b) <= 1e-5) }
        }
    }

    @Test("the embedding space names the model, the weights' content hash and 384 dimensions")
    func space() throws {
        let embedder = try EncoderTestSupport.embedder()
        #expect(embedder.space.model == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(embedder.space.dimensions == 384)
        #expect(embedder.space.revision == embedder.encoder.weightsHash)
        #expect(embedder.space.revision.count == 64 && embedder.space.revision.allSatisfy { $0.isHexDigit })
    }

    @Test("empty input, empty text, tokenCount")
    func edges() async throws {
        let embedder = try EncoderTestSupport.embedder()
        #expect(try await embedder.embed([]).isEmpty)
        let empty = try #require(try await embedder.embed([""]).first)  // [CLS] [SEP]
        #expect(empty.count == 384 && empty.allSatisfy { $0.isFinite })
        #expect(embedder.tokenCount("") == 2)
        #expect(embedder.tokenCount("hello world") == 4)
        #expect(embedder.tokenCount(String(repeating: "word ", count: 1000)) == 256)
    }

    @Test("warmUp runs")
    func warmUp() async throws {
        try await EncoderTestSupport.embedder().warmUp()
    }

    @Test("a call cancelled while queued behind other work throws CancellationError")
    func cancellationWhileQueued() async throws {
        let directory = try EncoderTestSupport.requireModel()
        let embedder = try LocalEmbedder(modelDirectory: directory, threads: 1, logger: Logger(label: "memgrid.test"))
        let long = Array(repeating: String(repeating: "memory ", count: 300), count: 16)
        async let busy = embedder.embed(long)  // occupies the only compute thread
        let queued = Task { try await embedder.embed(["queued"]) }
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(try await busy.count == 16)
    }

    @Test("a missing model directory fails with a clear error")
    func missingModel() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/memgrid-model-\(UUID().uuidString)")
        #expect(throws: (any Error).self) {
            try LocalEmbedder(modelDirectory: missing, logger: Logger(label: "memgrid.test"))
        }
    }
}
