import Embeddings
import Foundation
import Testing

@Suite("BertEncoder: all-MiniLM-L6-v2 forward pass")
struct EncoderTests {
    @Test("fixture token ids give the sentence-transformers embedding (cosine ≥ 0.9999)")
    func parityWithSentenceTransformers() throws {
        let encoder = try EncoderTestSupport.encoder()
        let fixture = try ParityFixture.load()
        try #require(!fixture.items.isEmpty)
        let vectors = try encoder.encode(fixture.items.map(\.tokenIDs))
        try #require(vectors.count == fixture.items.count)
        var worst = Float(1)
        for (item, vector) in zip(fixture.items, vectors) {
            #expect(vector.count == 384)
            let cosine = EncoderTestSupport.cosine(vector, item.embedding)
            worst = min(worst, cosine)
            #expect(cosine >= 0.9999, "cosine \(cosine) for \(item.tokenIDs.count) tokens: \(item.text.prefix(60))")
        }
        print("encoder parity: \(fixture.items.count) items, min cosine \(worst)")
    }

    @Test("outputs are unit vectors")
    func unitNorm() throws {
        let encoder = try EncoderTestSupport.encoder()
        let vectors = try encoder.encode([[101, 102], [101, 7592, 2088, 102], [101] + Array(repeating: 2146, count: 200) + [102]])
        for vector in vectors {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
            #expect(vector.allSatisfy { $0.isFinite })
        }
    }

    @Test("a sequence alone and inside a batch of mixed lengths gives the same vector")
    func batchingInvariance() throws {
        let encoder = try EncoderTestSupport.encoder()
        let fixture = try ParityFixture.load()
        // Short, medium and the longest (256) sequences, interleaved.
        let sorted = fixture.items.map(\.tokenIDs).sorted { $0.count < $1.count }
        let picks = [sorted[0], sorted[sorted.count - 1], sorted[sorted.count / 2], sorted[1], sorted[sorted.count * 3 / 4]]
        let batched = try encoder.encode(picks)
        for (ids, vector) in zip(picks, batched) {
            let alone = try #require(try encoder.encode([ids]).first)
            let difference = EncoderTestSupport.maxAbsoluteDifference(alone, vector)
            #expect(difference <= 1e-5, "\(ids.count) tokens: max |Δ| \(difference)")
        }
    }

    @Test("a small token budget splits into several passes without changing results or order")
    func smallBatchBudget() throws {
        let directory = try EncoderTestSupport.requireModel()
        let small = try BertEncoder(modelDirectory: directory, maxBatchTokens: 64)
        let encoder = try EncoderTestSupport.encoder()
        let fixture = try ParityFixture.load()
        let sequences = Array(fixture.items.map(\.tokenIDs).prefix(40))
        let expected = try encoder.encode(sequences)
        let split = try small.encode(sequences)
        try #require(split.count == expected.count)
        for (a, b) in zip(split, expected) {
            #expect(EncoderTestSupport.maxAbsoluteDifference(a, b) <= 1e-5)
        }
    }

    @Test("empty input gives no vectors")
    func emptyInput() throws {
        #expect(try EncoderTestSupport.encoder().encode([]).isEmpty)
    }

    @Test("empty, too long and out-of-vocabulary sequences are rejected")
    func invalidInput() throws {
        let encoder = try EncoderTestSupport.encoder()
        for bad: [Int32] in [[], Array(repeating: 1000, count: 513), [101, 30522, 102], [101, -1, 102]] {
            let error = #expect(throws: BertEncoder.Error.self) { try encoder.encode([[101, 102], bad]) }
            #expect(error?.code == .invalidInput)
        }
    }
}
