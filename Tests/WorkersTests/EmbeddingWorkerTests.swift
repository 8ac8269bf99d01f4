import Cache
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import Testing
import SystemHarness
import TestSupport
import WorkerRuntime
import EmbeddingWorker

/// One embedding worker process, in-process, on a scratch database and a fresh topology.
final class EmbeddingWorkerFixture: Sendable {

    let database = ScratchDatabase()
    let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
    let logger = Logger(label: "test.embedding-worker")
    let eventsQueue: String
    let registry = PrometheusCollectorRegistry()
    let system: SystemHarness
    private let embedder: any Embedder
    private let next: (any Embedder)?
    private let running = Mutex<WorkerProcess.Parts?>(nil)

    /// - Parameters:
    ///   - embedder: the worker's model (default: the test model in fp32).
    ///   - next: a second model, as during a model change (docs/reembedding.md).
    init(redisURL: String? = nil, embedder: any Embedder = TestModel.embedder, next: (any Embedder)? = nil) async throws {
        try await database.createMigrated()
        try await database.execute("INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant One'), ('t2', 'Tenant Two')")
        var overrides = ["MEMGRID_RETRY_BASE_DELAY_MS": "20"]
        if let redisURL { overrides["MEMGRID_REDIS_URL"] = redisURL }
        system = try SystemHarness(databaseURL: database.url, prefix: prefix, overrides: overrides, logger: logger)
        self.embedder = embedder
        self.next = next
        eventsQueue = "\(prefix).events-subscriber"
        try await TestBroker.admin.declare(system.declaration)
        try await TestBroker.admin.declareQueue(eventsQueue)
        try await TestBroker.admin.bind(
            eventsQueue, to: system.topology.eventsExchange, routingKey: EventCatalog.embeddingCompleted.routingKey)
    }

    var topology: Topology { system.topology }

    /// The running worker's parts (its publisher); only after `run()`.
    var parts: WorkerProcess.Parts { running.withLock { $0! } }

    /// Starts the worker.
    func run() throws {
        let parts = try system.embeddingWorker(embedder: embedder, next: next, registry: registry)
        running.withLock { $0 = parts }
    }

    func waitUntilReady() async throws {
        try await system.waitUntilReady()
    }

    func publish(_ job: JobEnvelope<EmbedJob>) async throws {
        try await parts.publisher.publish(.job(job, topology: topology))
    }

    /// Waits for `count` events, then returns them decoded.
    func events(count: Int) async throws -> [Delivery] {
        var messages: [Delivery] = []
        _ = try await TestBroker.eventually(timeout: .seconds(60)) {
            messages += try await TestBroker.admin.drain(eventsQueue, limit: 1000)
            return messages.count >= count
        }
        return messages
    }

    func stop() async {
        await system.stop()
        await TestBroker.tearDown(system.declaration, extraQueues: [eventsQueue])
        await database.drop()
    }

    /// (target id, vector) of every stored embedding.
    func storedVectors() async throws -> [String: [Float]] {
        try await database.withClient(url: database.url) { client in
            var result: [String: [Float]] = [:]
            let rows = try await client.query(
                "SELECT target_id, embedding::real[] FROM embeddings WHERE tenant_id = 't1'", logger: self.logger)
            for try await (id, vector) in rows.decode((String, [Float]).self) { result[id] = vector }
            return result
        }
    }

    func count(_ sql: String) async throws -> Int {
        try await database.withClient(url: database.url) { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: self.logger)
            for try await count in rows.decode(Int.self) { return count }
            return -1
        }
    }
}

func makeJob(_ id: String, texts: [String], kind: EmbedJob.Target.Kind = .memoryItem, tenant: String = "t1") -> JobEnvelope<EmbedJob> {
    JobEnvelope(id: id, tenantID: tenant, payload: EmbedJob(items: texts.enumerated().map { index, text in
        EmbedJob.Item(target: .init(kind: kind, id: "\(id)-\(index)"), text: text, metadata: kind == .document ? ["source": "test"] : nil)
    }))
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (sqrt(a.reduce(0) { $0 + $1 * $1 }) * sqrt(b.reduce(0) { $0 + $1 * $1 }))
}

@Suite("Embedding worker end to end against the real servers", .serialized)
struct EmbeddingWorkerTests {
    @Test("jobs in → vectors in pgvector, cache filled; the same jobs again → all cache hits, no duplicate rows")
    func endToEnd() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        let jobs = (0..<3).map { n in
            makeJob("job-\(run)-\(n)", texts: (0..<5).map { "Sentence \($0) of job \(n) in run \(run): memgrid remembers things." },
                    kind: n == 2 ? .document : .memoryItem)
        }
        for job in jobs { try await fixture.publish(job) }
        let first = try await fixture.events(count: 3)
        let stored = try await fixture.storedVectors()

        // Redelivery: the same jobs again.
        for job in jobs { try await fixture.publish(job) }
        let second = try await fixture.events(count: 3)
        let rows = try await fixture.count("SELECT count(*)::int FROM embeddings")
        let documents = try await fixture.count("SELECT count(*)::int FROM documents WHERE metadata->>'source' = 'test'")
        let spaces = try await fixture.count("SELECT count(*)::int FROM embedding_spaces WHERE active")
        await fixture.stop()

        #expect(first.count == 3)
        #expect(rows == 15, "redelivered jobs must not add rows")
        #expect(documents == 5)
        #expect(spaces == 1)
        let expected = try await TestModel.embedder.embed(jobs.flatMap { $0.payload.items.map(\.text) })
        for (item, vector) in zip(jobs.flatMap { $0.payload.items }, expected) {
            let stored = try #require(stored[item.target.id])
            #expect(cosine(stored, vector) > 0.99999)
        }
        let firstEvents = try first.map { try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: $0.body) }
        let secondEvents = try second.map { try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: $0.body) }
        #expect(firstEvents.allSatisfy { $0.payload.count == 5 && $0.payload.cached == 0 })
        #expect(secondEvents.allSatisfy { $0.payload.count == 5 && $0.payload.cached == 5 }, "second run must be all cache hits")
        #expect(Set(firstEvents.map(\.correlationID)) == Set(jobs.map(\.id)))
    }

    /// A hit count would tell tenant B that tenant A embedded the same text (a query, a
    /// memory) before: entries are per tenant.
    @Test("one tenant's cached text is a miss for another tenant, and a hit for itself again")
    func cacheEntriesArePerTenant() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let secret = "Tenant one's secret plan \(UUID().uuidString)"
        var cached: [Int] = []
        for (id, tenant) in [("a-first", "t1"), ("b-probe", "t2"), ("a-again", "t1")] {
            try await fixture.publish(makeJob("\(id)-\(UUID().uuidString.prefix(6))", texts: [secret], tenant: tenant))
            let event = try #require(try await fixture.events(count: 1).first)
            cached.append(try WireJSON.decoder().decode(EventEnvelope<EmbeddingCompleted>.self, from: event.body).payload.cached)
        }
        await fixture.stop()
        #expect(cached == [0, 0, 1])
    }

    @Test("invalid and unknown-tenant jobs are dead-lettered with their reason")
    func badJobs() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        try await fixture.publish(makeJob("empty-text", texts: [""]))
        try await fixture.publish(makeJob("stranger", texts: ["hello"], tenant: "no-such-tenant"))
        try await fixture.publish(makeJob("fine", texts: ["a valid text"]))
        let dlq = fixture.topology.deadLetterQueue(.embed)
        var dead: [Delivery] = []
        _ = try await TestBroker.eventually {
            dead += try await TestBroker.admin.drain(dlq, limit: 10)
            return dead.count >= 2
        }
        // The good job may finish after the two bad ones are dead-lettered.
        var stored = try await fixture.storedVectors()
        _ = try await TestBroker.eventually(timeout: .seconds(10)) {
            stored = try await fixture.storedVectors()
            return !stored.isEmpty
        }
        await fixture.stop()
        let reasons = Dictionary(uniqueKeysWithValues: dead.map {
            ($0.properties.messageID ?? "", $0.properties.headers[WireHeader.deadLetterReason]?.stringValue ?? "")
        })
        #expect(reasons == ["empty-text": "invalid", "stranger": "permanent_failure"])
        #expect(stored.keys.sorted() == ["fine-0"])
    }

    @Test("Redis stopped mid-run: later jobs still complete, just without the cache")
    func redisStopsMidRun() async throws {
        let redis = try PrivateRedisServer()
        let fixture = try await EmbeddingWorkerFixture(redisURL: "redis://127.0.0.1:\(redis.port)")
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        try await fixture.publish(makeJob("before-\(run)", texts: ["cached while redis runs \(run)"]))
        let first = try await fixture.events(count: 1)
        redis.crash()
        try await fixture.publish(makeJob("after-\(run)", texts: ["embedded after redis died \(run)"]))
        let second = try await fixture.events(count: 1)
        let stored = try await fixture.storedVectors()
        let metrics = fixture.registry.emitToString()
        await fixture.stop()
        #expect(first.count == 1 && second.count == 1)
        #expect(stored.keys.sorted() == ["after-\(run)-0", "before-\(run)-0"])
        #expect(metrics.contains("memgrid_embedding_cache_errors_total"))
    }

    @Test("with Redis unavailable jobs still complete, just without the cache")
    func redisDown() async throws {
        let fixture = try await EmbeddingWorkerFixture(redisURL: "redis://127.0.0.1:1")
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        try await fixture.publish(makeJob("nocache-\(run)", texts: ["no cache today \(run)", "still embedded \(run)"]))
        let events = try await fixture.events(count: 1)
        let stored = try await fixture.storedVectors()
        let metrics = fixture.registry.emitToString()
        await fixture.stop()
        #expect(events.count == 1)
        #expect(stored.count == 2)
        #expect(metrics.contains("memgrid_embedding_cache_errors_total"))
    }
}
