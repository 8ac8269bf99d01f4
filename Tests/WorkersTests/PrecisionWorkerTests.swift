import Contracts
import EmbeddingWorker
import Embeddings
import Foundation
import Messaging
import Testing
import TestSupport
import WorkerRuntime

/// A worker whose model runs in bf16 fills the bf16 space only: a job for the fp32 space
/// is refused, never written with vectors of the other precision.
@Suite("Embedding worker in bf16", .serialized)
struct PrecisionWorkerTests {
    @Test("MEMGRID_EMBED_PRECISION and MEMGRID_EMBED_NEXT_PRECISION choose the precision; fp32 by default; others refused")
    func configuration() throws {
        func providers(_ environment: [String: String]) throws -> [EmbeddingWorkerApp.Configuration.Provider] {
            let configuration = try EmbeddingWorkerApp.Configuration(environment: EnvironmentReader(environment))
            return [configuration.provider] + (configuration.next.map { [$0] } ?? [])
        }
        func precisions(_ environment: [String: String]) throws -> [BertEncoder.Precision?] {
            try providers(environment).map { provider in
                if case .local(_, let precision) = provider { return precision }
                return nil
            }
        }
        #expect(try precisions([:]) == [.fp32])
        #expect(try precisions(["MEMGRID_EMBED_PRECISION": "bf16"]) == [.bf16])
        // The switch to bf16 is a model change: the same weights beside themselves.
        #expect(try precisions(["MEMGRID_EMBED_NEXT_PROVIDER": "local", "MEMGRID_EMBED_NEXT_PRECISION": "bf16"]) == [.fp32, .bf16])
        let error = try #require(throws: EnvironmentReader.Error.self) { try precisions(["MEMGRID_EMBED_PRECISION": "int4"]) }
        #expect(error.key == "MEMGRID_EMBED_PRECISION" && "\(error)".contains("fp32"))
    }

    @Test("a job naming the fp32 space is dead-lettered; a job naming none goes into the bf16 space")
    func refusesTheOtherPrecision() async throws {
        guard BertEncoder.Precision.bf16.isAccelerated else { return }  // PrecisionTests checks the refusal
        let reduced = try TestModel.bfloat16Embedder.get()
        let full = TestModel.embedder.space.id
        #expect(reduced.space.id != full)
        let fixture = try await EmbeddingWorkerFixture(embedder: reduced)
        try fixture.run()
        try await fixture.waitUntilReady()

        try await fixture.publish(JobEnvelope(
            id: "for-fp32", tenantID: "t1",
            payload: EmbedJob(space: full, items: [.init(target: .init(kind: .memoryItem, id: "fp32-item"), text: "tea at five")])))
        try await fixture.publish(makeJob("plain", texts: ["coffee at nine"]))
        let dlq = fixture.topology.deadLetterQueue(.embed)
        var dead: [Delivery] = []
        _ = try await TestBroker.eventually {
            dead += try await TestBroker.admin.drain(dlq, limit: 10)
            return !dead.isEmpty
        }
        let event = try #require(try await fixture.events(count: 1).first)
        let completed = try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: event.body)
        let spaces = try await fixture.count("SELECT count(DISTINCT space_id)::int FROM embeddings")
        let stored = try await fixture.storedVectors()
        await fixture.stop()

        #expect(dead.map(\.properties.messageID) == ["for-fp32"])
        #expect(dead.first?.properties.headers[WireHeader.error]?.stringValue?.contains("not '\(full)'") == true)
        #expect(completed.payload.space == reduced.space.id)
        #expect(spaces == 1)
        #expect(stored.keys.sorted() == ["plain-0"])
        let reference = try await TestModel.embedder.embed(["coffee at nine"])[0]
        let vector = try #require(stored["plain-0"])
        #expect(cosine(vector, reference) >= 0.999)
        #expect(vector != reference)
    }
}
