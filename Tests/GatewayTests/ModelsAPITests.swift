import Foundation
import Testing
import TestSupport

/// `/v1/models` answers from configuration: chat models of every provider (the gateway
/// needs no provider key), the `default` alias, and no 503 while no worker runs.
@Suite(.holding(GatewayFixture.shared))
struct ModelsAPITests {
    @Test func chatModelsAreListedWithoutAnyWorkerOrProviderKey() async throws {
        let providers = #"""
            {"default_model": "deepseek-chat", "providers": [
              {"name": "deepseek", "base_url": "https://api.deepseek.com/v1", "api_key_env": "MEMGRID_TEST_UNSET_KEY",
               "models": [{"name": "deepseek-chat", "input_per_million": 1, "output_per_million": 2},
                          {"name": "deepseek-reasoner", "input_per_million": 1, "output_per_million": 2}]},
              {"name": "maas", "base_url": "https://maas.example.com/v1", "api_key_env": "MEMGRID_TEST_UNSET_KEY",
               "models": [{"name": "deepseek-chat", "input_per_million": 1, "output_per_million": 2},
                          {"name": "qwen3-32b", "input_per_million": 1, "output_per_million": 2}]}]}
            """#
        let fixture = try await GatewayFixture(workers: false, overrides: ["MEMGRID_LLM_PROVIDERS": providers])
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "models-tenant")

        let listed = try await fixture.request("GET", "/v1/models", key: key)
        #expect(listed.status == 200, "\(String(decoding: listed.body, as: UTF8.self))")
        #expect(listed.json["object"] as? String == "list")
        #expect(listed.data.map { $0["id"] as? String } == ["deepseek-chat", "deepseek-reasoner", "qwen3-32b", "default"])
        #expect(listed.data.map { $0["owned_by"] as? String } == ["deepseek", "deepseek", "maas", "deepseek-chat"])
        #expect(listed.data.allSatisfy { $0["object"] as? String == "model" && $0["created"] is Int })

        let one = try await fixture.request("GET", "/v1/models/qwen3-32b", key: key)
        #expect(one.status == 200 && one.json["id"] as? String == "qwen3-32b" && one.json["owned_by"] as? String == "maas")
        let missing = try await fixture.request("GET", "/v1/models/gpt-4", key: key)
        #expect(missing.status == 404 && missing.errorCode == "model_not_found")
        #expect(try await fixture.request("GET", "/v1/models").status == 401)
        await fixture.stop()
    }

    /// With an embedding worker, its model is listed too, and found by its full id
    /// (slash percent-encoded, as the OpenAI SDKs send it).
    @Test func theEmbeddingModelIsListedOnceAWorkerRegisteredIt() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "models-embed")
        let listed = try await fixture.request("GET", "/v1/models", key: key)
        let ids = listed.data.compactMap { $0["id"] as? String }
        let embedding = try #require(ids.first { $0.hasSuffix("all-MiniLM-L6-v2") }, "\(ids)")
        let encoded = embedding.replacingOccurrences(of: "/", with: "%2F")
        let one = try await fixture.request("GET", "/v1/models/\(encoded)", key: key)
        #expect(one.status == 200 && one.json["id"] as? String == embedding, "\(String(decoding: one.body, as: UTF8.self))")
    }
}
