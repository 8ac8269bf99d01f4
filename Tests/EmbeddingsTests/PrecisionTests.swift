import Embeddings
import Foundation
import Logging
import Testing

/// The bf16 precision (MEMGRID_EMBED_PRECISION=bf16): close to fp32 on every fixture text,
/// and a space of its own.
@Suite("BertEncoder in bf16")
struct PrecisionTests {
    static var cpuHasBFloat16: Bool { BertEncoder.Precision.bf16.isAccelerated }

    static func encoder() throws -> BertEncoder {
        try BertEncoder(modelDirectory: try EncoderTestSupport.requireModel(), precision: .bf16)
    }

    @Test("every parity fixture text: cosine ≥ 0.999 to sentence-transformers and to fp32")
    func parity() throws {
        guard Self.cpuHasBFloat16 else {
            // The one thing to check here: loading fails with a reason, not a crash.
            let error = try #require(throws: BertEncoder.Error.self) { try Self.encoder() }
            #expect(error.code == .invalidConfiguration && error.message.contains("AVX512-BF16"))
            return
        }
        let encoder = try Self.encoder()
        #expect(encoder.precision == .bf16)
        let fixture = try ParityFixture.load()
        try #require(!fixture.items.isEmpty)
        let ids = fixture.items.map(\.tokenIDs)
        let reduced = try encoder.encode(ids)
        let full = try EncoderTestSupport.encoder().encode(ids)
        var worst = Float(1)
        for (index, item) in fixture.items.enumerated() {
            let toReference = EncoderTestSupport.cosine(reduced[index], item.embedding)
            let toFull = EncoderTestSupport.cosine(reduced[index], full[index])
            worst = min(worst, toReference, toFull)
            #expect(toReference >= 0.999, "cosine \(toReference) to sentence-transformers: \(item.text.prefix(60))")
            #expect(toFull >= 0.999, "cosine \(toFull) to fp32: \(item.text.prefix(60))")
            // Reduced, not equal: the bf16 path really ran.
            #expect(reduced[index] != full[index])
        }
        print("bf16 parity: \(fixture.items.count) items, min cosine \(worst)")
    }

    @Test("a sequence alone and inside a packed batch gives the same bf16 vector")
    func batchingInvariance() throws {
        guard Self.cpuHasBFloat16 else { return }
        let encoder = try Self.encoder()
        let long: [Int32] = [101] + Array(repeating: 2146, count: 40) + [102]
        let alone = try encoder.encode([long])
        let batched = try encoder.encode([[101, 7592, 102], long, [101, 2088, 2003, 102]])
        #expect(EncoderTestSupport.maxAbsoluteDifference(alone[0], batched[1]) <= 1e-5)
    }

    @Test("each precision is its own embedding space; fp32 keeps the plain weights hash")
    func spaces() throws {
        guard Self.cpuHasBFloat16 else { return }
        let directory = try EncoderTestSupport.requireModel()
        let logger = Logger(label: "test.precision")
        let full = try LocalEmbedder(modelDirectory: directory, threads: 1, logger: logger)
        let reduced = try LocalEmbedder(modelDirectory: directory, threads: 1, precision: .bf16, logger: logger)
        #expect(full.space.revision == full.encoder.weightsHash)
        #expect(reduced.space.revision == "bf16-" + full.encoder.weightsHash)
        #expect(reduced.space.id != full.space.id)
        #expect(reduced.space.id == "sentence-transformers/all-MiniLM-L6-v2@bf16-\(full.encoder.weightsHash.prefix(7))/384")
    }
}
