import Cache
import Embeddings
import Foundation
import Logging
import Metrics
import Storage
import Testing
import TestSupport

/// The gateway across a model switch (docs/reembedding.md): it follows the active space
/// without a restart, and every request is answered, by one model.
@Suite("Gateway across an embedding model switch")
struct ModelSwitchTests {
    @Test("after `activate`, queries are embedded by the new model; no request fails meanwhile")
    func followsTheSwitch() async throws {
        let fixture = try await GatewayFixture(workers: true, nextModel: true)
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "switch")
        let old = TestModel.embedder.space, new = TestModel.nextEmbedder.space
        let redis = RedisClient(configuration: try .init(url: TestRedis.url))
        let cache = EmbeddingCache(client: redis, ttl: .seconds(60), metrics: NOOPMetricsHandler.instance, logger: fixture.logger)

        func embed(_ text: String) async throws -> Int {
            try await fixture.request("POST", "/v1/embeddings", key: key, json: ["input": text, "model": "all-MiniLM-L6-v2"]).status
        }
        let before = "before the switch \(UUID().uuidString)"
        #expect(try await embed(before) == 200)
        #expect(await cache.lookup(space: old.id, entries: [("switch", before)], dimensions: old.dimensions)[0] != nil)
        #expect(await cache.lookup(space: new.id, entries: [("switch", before)], dimensions: new.dimensions)[0] == nil)

        let activation = try await fixture.database.withClient(url: fixture.database.url) { client in
            try await EmbeddingSpaceRepository(client: client).activate(new.id, force: false, logger: fixture.logger)
        }
        #expect(activation.previous == old.id)

        // Until the gateway re-reads the active space it asks for the old one; then for the
        // new one, whose worker-side cache entry shows which model answered.
        var statuses: [Int] = []
        let switched = try await TestBroker.eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
            let text = "after the switch \(UUID().uuidString)"
            statuses.append(try await embed(text))
            return await cache.lookup(space: new.id, entries: [("switch", text)], dimensions: new.dimensions)[0] != nil
        }
        #expect(switched)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let retrieve = try await fixture.request(
            "POST", "/v1/retrieve", key: key, json: ["user_id": "u1", "query": "anything after the switch", "top_k": 3])
        #expect(retrieve.status == 200)
        await redis.shutdown()
        await fixture.stop()
    }
}
