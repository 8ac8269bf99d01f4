import Contracts
import FakeOpenAI
import PostgresNIO
import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// Memory-aware chat (`"memory"` in a chat request) on `LLMGatewayTests.system`: the
/// fake's extraction turns any conversation into "Lives in Lyon".
extension LLMGatewayTests {
    @Test func memoryAwareChatSendsTheContextAndMemorizesOnceUnderARetry() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "memory-chat-tenant"
        let key = try await fixture.key(tenant: tenant)
        _ = try await GatewayAPITests.memorize("I live in Lyon.", user: "ava", key: key, on: fixture)

        let body: [String: Any] = [
            "model": "fake-chat",
            "messages": [["role": "system", "content": "You are Ava's assistant."], ["role": "user", "content": "MEMCHAT where do I live?"]],
            "memory": ["user_id": "ava", "max_tokens": 200],
        ]
        let first = try await fixture.request("POST", "/v1/chat/completions", key: key, json: body, headers: ["Idempotency-Key": "turn-1"])
        #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
        #expect(try JSONDecoder().decode(ChatCompletion.self, from: first.body).text == Self.answer)
        let job = try #require(first.headers.first(name: "x-memgrid-memory-job"))

        // The provider got the context block between the agent's instructions and the question; `memory` stayed with memgrid.
        let sent = try #require(Self.fake.requests.last { $0.messages.last?.text.hasPrefix("MEMCHAT") == true })
        #expect(sent.messages.map(\.role) == ["system", "system", "user"])
        #expect(sent.messages[1].text.hasPrefix("Memories of this user from earlier conversations (memgrid)."))
        #expect(sent.messages[1].text.contains("Facts:\n- Lives in Lyon"), "\(sent.messages[1].text)")
        #expect(sent.extra["memory"] == nil)

        // A retry of the same request memorizes into the same job.
        let retry = try await fixture.request("POST", "/v1/chat/completions", key: key, json: body, headers: ["Idempotency-Key": "turn-1"])
        #expect(retry.status == 200)
        #expect(retry.headers.first(name: "x-memgrid-memory-job") == job)
        let memorized = try await GatewayAPITests.finished(job, key: key, on: fixture)
        #expect(memorized["status"] as? String == "succeeded", "\(memorized)")
        let jobs = try await fixture.database.withClient(url: fixture.database.url) { client in
            var count = 0
            for try await found in try await client.query(
                "SELECT count(*) FROM jobs WHERE tenant_id = \(tenant) AND type = 'memorize.v1'", logger: fixture.logger
            ).decode(Int.self) { count = found }
            return count
        }
        #expect(jobs == 2, "the first memorize and one for the chat turn")
        let turn = try await fixture.request("GET", "/v1/memories?user_id=ava", key: key)
        #expect(turn.data.map { $0["text"] as? String } == ["Lives in Lyon"])

        // Injected tokens are metered apart, on each answered call.
        var usage: [String: Any] = [:]
        let metered = await TestBroker.eventually(timeout: .seconds(10)) {
            usage = (try? await fixture.request("GET", "/v1/usage", key: key).json["total"] as? [String: Any]) ?? [:]
            return (usage["memory_tokens"] as? Int ?? 0) > 0 && usage["calls"] as? Int ?? 0 >= 4
        }
        #expect(metered, "\(usage)")
    }

    @Test func memorizeFalseRetrievesOnlyAndAUserWithoutMemoriesGetsNoBlock() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "memory-chat-quiet")
        let reply = try await fixture.request(
            "POST", "/v1/chat/completions", key: key,
            json: ["model": "fake-chat", "messages": [["role": "user", "content": "MEMQUIET hello"]],
                   "memory": ["user_id": "nobody", "memorize": false]])
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(reply.headers.first(name: "x-memgrid-memory-job") == nil)
        let sent = try #require(Self.fake.requests.last { $0.messages.last?.text.hasPrefix("MEMQUIET") == true })
        #expect(sent.messages.map(\.role) == ["user"])
    }
}
