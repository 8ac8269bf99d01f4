import Contracts
import FakeOpenAI
import Foundation
import Storage
import Testing
import TestSupport

/// Limits on LLM spend and load per tenant. Budgets are hard: each call reserves its cost ceiling before it starts, so a burst of
/// concurrent calls cannot spend past the limit (a check before and a charge after each
/// call would let all of them through while the spend still reads 0).
@Suite(.serialized)
struct HardBudgetTests {
    /// Answers slowly (so the calls overlap) and honours `max_tokens`, as providers do.
    static let fake = FakeOpenAIServer(delay: .milliseconds(300)) { request in
        .reply(content: "ok", usage: FakeOpenAIServer.usage(prompt: 5, completion: request.maxTokens ?? 10))
    }

    @Test func concurrentCallsCannotOvershootTheBudget() async throws {
        // Ceiling per call: (7 estimated prompt tokens · 100 + 10 output tokens · 1000) µUSD = 0.0107 USD;
        // each really costs 0.0105 USD. A 0.05 USD budget has room for 4 ceilings.
        let fixture = try await GatewayFixture.withFakeLLM(Self.fake) { port in
            """
            {"providers": [{"name": "fake", "base_url": "http://127.0.0.1:\(port)/v1",
              "models": [{"name": "fake-chat", "input_per_million": 100, "output_per_million": 1000, "max_output_tokens": 10}]}]}
            """
        }
        let tenant = "hard-budget-tenant"
        let key = try await fixture.key(tenant: tenant)
        try await fixture.database.withClient(url: fixture.database.url) { client in
            _ = try await BudgetRepository(client: client).set(tenantID: tenant, period: .day, limitUSD: 0.05, logger: fixture.logger)
        }
        let replies = try await withThrowingTaskGroup(of: GatewayFixture.Reply.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await fixture.request(
                        "POST", "/v1/chat/completions", key: key,
                        json: ["model": "fake-chat", "messages": [["role": "user", "content": "Say hello"]]])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let answered = replies.filter { $0.status == 200 }.count
        #expect((1...4).contains(answered), "\(answered) of 20 calls ran against a budget with room for 4")
        #expect(replies.filter { $0.status != 200 }.allSatisfy { $0.status == 429 && $0.errorCode == "budget_exceeded" })
        let tooLong = try await fixture.request(
            "POST", "/v1/chat/completions", key: try await fixture.key(tenant: "hard-budget-other"),
            json: ["model": "fake-chat", "messages": [["role": "user", "content": "hi"]], "max_tokens": 11])
        #expect(tooLong.status == 400, "max_tokens above the model's max_output_tokens")
        await fixture.stop()
    }

    /// One tenant's burst takes at most its share of a worker's calls; another tenant's
    /// call meanwhile goes through.
    @Test func oneTenantCannotTakeEveryCallSlot() async throws {
        let providers = #"{"providers": [{"name": "fake", "base_url": "http://127.0.0.1:PORT/v1", "models": [{"name": "fake-chat", "input_per_million": 1, "output_per_million": 1, "max_output_tokens": 10}]}]}"#
        let fixture = try await GatewayFixture.withFakeLLM(
            Self.fake, providers: { providers.replacingOccurrences(of: "PORT", with: "\($0)") },
            overrides: ["MEMGRID_LLM_TENANT_CONCURRENCY": "2"])
        let (greedy, other) = (try await fixture.key(tenant: "greedy-tenant"), try await fixture.key(tenant: "other-tenant"))
        @Sendable func chat(_ key: String) async throws -> GatewayFixture.Reply {
            try await fixture.request(
                "POST", "/v1/chat/completions", key: key, json: ["model": "fake-chat", "messages": [["role": "user", "content": "hi"]]])
        }
        async let theirs: GatewayFixture.Reply = {
            try await Task.sleep(for: .milliseconds(100))
            return try await chat(other)
        }()
        let burst = try await withThrowingTaskGroup(of: GatewayFixture.Reply.self) { group in
            for _ in 0..<8 { group.addTask { try await chat(greedy) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refused = burst.filter { $0.status == 429 }
        #expect(refused.count >= 1 && refused.allSatisfy { $0.errorCode == "tenant_concurrency_exceeded" }, "\(burst.map(\.status))")
        #expect(burst.filter { $0.status == 200 }.count >= 2)
        #expect(try await theirs.status == 200)
        await fixture.stop()
    }
}
