import Backfill
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import Testing
import TestSupport
import WorkerRuntime

/// A model change end to end (docs/reembedding.md): a worker serving the old and the new
/// model, dual writes, a re-embed backfill of what the new space lacks, the switch.
@Suite("Re-embedding into a new model's space, then switching", .serialized)
struct ReembedTests {
    let old = TestModel.embedder.space.id
    let new = TestModel.nextEmbedder.space.id

    /// Items and documents the old space holds before the new model arrives.
    func seed(_ fixture: EmbeddingWorkerFixture) async throws -> [String: String] {
        var texts: [String: String] = [:]
        for index in 0..<12 {
            let id = "item-\(index)"
            texts[id] = "Remembered fact number \(index): the user likes tea at \(index) o'clock."
            try await fixture.database.execute("""
                INSERT INTO memory_items (id, tenant_id, user_id, type, text, content_hash)
                VALUES ('\(id)', 't1', 'u1', 'knowledge', '\(texts[id]!.replacingOccurrences(of: "'", with: "''"))', 'h\(index)')
                """)
        }
        let items = texts.sorted { $0.key < $1.key }.map { EmbedJob.Item(target: .init(kind: .memoryItem, id: $0.key), text: $0.value) }
        let documents = (0..<5).map { index in
            EmbedJob.Item(target: .init(kind: .document, id: "doc-\(index)"), text: "Document \(index) about gardens", metadata: ["source": "wiki"])
        }
        // Written before the new model existed: into the old space only.
        try await fixture.publish(JobEnvelope(id: "seed-items", tenantID: "t1", payload: EmbedJob(space: old, items: items)))
        try await fixture.publish(JobEnvelope(id: "seed-docs", tenantID: "t1", payload: EmbedJob(space: old, items: documents)))
        _ = try await fixture.events(count: 2)
        return texts
    }

    func vectors(_ fixture: EmbeddingWorkerFixture, space: String) async throws -> [String: [Float]] {
        try await fixture.database.withClient(url: fixture.database.url) { client in
            var result: [String: [Float]] = [:]
            let rows = try await client.query(
                "SELECT target_kind || ':' || target_id, embedding::real[] FROM embeddings WHERE space_id = \(space)", logger: fixture.logger)
            for try await (key, vector) in rows.decode((String, [Float]).self) { result[key] = vector }
            return result
        }
    }

    @Test("dual writes, a re-embed of what is missing, a refused and then a clean switch, queries per space")
    func modelChange() async throws {
        #expect(old != new)
        let fixture = try await EmbeddingWorkerFixture(next: TestModel.nextEmbedder)
        try fixture.run()
        try await fixture.waitUntilReady()
        let texts = try await seed(fixture)

        try await fixture.database.withClient(url: fixture.database.url) { client in
            let spaces = EmbeddingSpaceRepository(client: client)
            let logger = fixture.logger
            // The first model's space serves searches with its index; the new one fills without.
            func states() async throws -> [String: String] {
                Dictionary(uniqueKeysWithValues: try await spaces.list(logger: logger).map {
                    ($0.id, ($0.active ? "active" : "standby") + ($0.indexed ? ", indexed" : ""))
                })
            }
            #expect(try await states() == [old: "active, indexed", new: "standby"])
            #expect(try await spaces.coverage(of: new, logger: logger) == .init(total: 17, current: 0))

            // A new memory arrives during the change: it lands in both spaces.
            try await fixture.database.execute("""
                INSERT INTO memory_items (id, tenant_id, user_id, type, text, content_hash)
                VALUES ('item-new', 't1', 'u1', 'event', 'Dentist on Friday', 'hnew')
                """)
            try await fixture.publish(JobEnvelope(
                id: "live", tenantID: "t1",
                payload: EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: "item-new"), text: "Dentist on Friday")])))
            let events = try await fixture.events(count: 2).map {
                try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: $0.body)
            }
            #expect(Set(events.map(\.payload.space)) == [old, new])
            #expect(Set(events.map(\.id)) == ["live:embedding.completed", "live:embedding.completed:\(new)"])
            #expect(try await spaces.coverage(of: new, logger: logger) == .init(total: 18, current: 1))

            // Switching now would drop 17 rows out of search: refused.
            await #expect(throws: StorageError.self) { _ = try await spaces.activate(new, force: false, logger: logger) }
            #expect(try await spaces.isActive(old, logger: logger))

            // The re-embed reads only what is missing and writes only the new space.
            let before = try await vectors(fixture, space: old)
            let runner = BackfillRunner(
                configuration: .init(
                    tenantID: "t1", backfillID: "reembed-1", chunkSize: 5, maxInFlight: 2, maxQueueDepth: 100,
                    pollInterval: .milliseconds(50), space: new),
                repository: BackfillRepository(client: client), publisher: fixture.parts.publisher, admin: TestBroker.admin,
                topology: fixture.topology, logger: logger)
            let summary = try await runner.run(source: ReembedSource(spaces: spaces, space: new, tenantID: "t1", logger: logger))
            #expect(summary.progress.read == 17 && summary.progress.done == 17 && summary.progress.deadLettered == 0)
            let reembedded = try await fixture.events(count: 4).map {
                try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: $0.body).payload
            }
            #expect(reembedded.allSatisfy { $0.space == new } && reembedded.map(\.count).reduce(0, +) == 17)
            #expect(try await spaces.coverage(of: new, logger: logger) == .init(total: 18, current: 18))
            #expect(try await vectors(fixture, space: old) == before, "the old space is untouched")
            let after = try await vectors(fixture, space: new)
            let expected = try await TestModel.nextEmbedder.embed(texts.keys.sorted().map { texts[$0]! })
            // The same model's vectors, not the same bits: the worker batches the texts
            // differently, and oneDNN's GEMM rounds by shape on CPUs without AVX-512.
            for (id, vector) in zip(texts.keys.sorted(), expected) {
                let stored = after["memory_item:\(id)"] ?? []
                #expect(stored.count == vector.count && zip(stored, vector).map { $0 * $1 }.reduce(0, +) > 0.99999, "\(id)")
            }
            // Documents keep their text and metadata through the re-embed.
            #expect(try await fixture.count("SELECT count(*)::int FROM documents WHERE metadata = '{\"source\": \"wiki\"}'") == 5)
            // Nothing left: a second run finds no work.
            #expect(try await ReembedSource(spaces: spaces, space: new, tenantID: "t1", logger: logger).estimatedCount() == 0)

            // An edited text makes the stale vector count as missing again.
            try await fixture.database.execute("UPDATE memory_items SET text = 'Dentist on Saturday' WHERE id = 'item-new'")
            #expect(try await spaces.coverage(of: new, logger: logger) == .init(total: 18, current: 17))
            try await fixture.publish(JobEnvelope(
                id: "edit", tenantID: "t1",
                payload: EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: "item-new"), text: "Dentist on Saturday")])))
            #expect(Set(try await fixture.events(count: 2).map { try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: $0.body).id })
                == ["edit:embedding.completed", "edit:embedding.completed:\(new)"])

            // The switch builds the index, then flips in one transaction.
            let activation = try await spaces.activate(new, force: false, logger: logger)
            #expect(activation == .init(previous: old, coverage: .init(total: 18, current: 18), builtIndex: true))
            #expect(try await states() == [old: "standby, indexed", new: "active, indexed"])
            // Switching back needs no re-embed: dual writes kept the old space complete.
            #expect(try await spaces.activate(old, force: false, logger: logger).builtIndex == false)
            // The active space cannot be dropped; another one goes with its vectors and index.
            await #expect(throws: StorageError.self) { try await spaces.delete(old, logger: logger) }
            try await spaces.delete(new, logger: logger)
            #expect(try await states() == [old: "active, indexed"])
            #expect(try await vectors(fixture, space: new).isEmpty)

            // This worker still serves the dropped space: its next job is dead-lettered, named
            // for what happened, not lost and not retried forever.
            try await fixture.publish(JobEnvelope(
                id: "after-drop", tenantID: "t1",
                payload: EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: "item-new"), text: "Dentist on Sunday")])))
            var dead: [Delivery] = []
            _ = try await TestBroker.eventually {
                dead += try await TestBroker.admin.drain(fixture.topology.deadLetterQueue(.embed), limit: 10)
                return !dead.isEmpty
            }
            #expect(dead.map(\.properties.messageID) == ["after-drop"])
            #expect(dead.first?.properties.headers[WireHeader.error]?.stringValue?.contains("embedding space was dropped") == true)
        }

        // Queries name their space; the worker answers from that model or refuses.
        let client = RPCClient(
            configuration: TestBroker.configuration, replyQueue: fixture.topology.replyQueue(instance: UUID().uuidString),
            publisher: fixture.parts.publisher, logger: fixture.logger)
        let clientTask = Task { await client.run() }
        #expect(await TestBroker.eventually { client.status.isConnected })
        for space in [old, new, "other-model@1/384"] {
            let reply = try await client.call(
                OutgoingMessage(
                    exchange: "", routingKey: fixture.topology.rpcQueue(.embed),
                    body: try WireJSON.encoder().encode(EmbedQuery(texts: ["tea"], space: space)),
                    properties: MessageProperties(type: EmbedQuery.type)),
                timeout: .seconds(30))
            if space == "other-model@1/384" {
                #expect(reply.properties.type == RPCFailure.type)
                #expect(try WireJSON.decoder().decode(RPCFailure.self, from: reply.body).code == "unavailable")
            } else {
                #expect(try WireJSON.decoder().decode(EmbedQueryResult.self, from: reply.body).space == space)
            }
        }
        await client.close()
        clientTask.cancel()
        await fixture.stop()
    }
}
