import Contracts
import FakeOpenAI
import Foundation
import Storage
import Testing
import TestSupport

/// Budgets are hard: each call reserves its cost ceiling before it starts, so a burst of
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
}
