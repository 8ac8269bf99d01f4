import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("LLM call metering against the real PostgreSQL")
struct UsageRepositoryTests {
    /// Runs `body` on a migrated scratch database holding `tenants`. The database's time
    /// zone is far from UTC (+14h), so a period computed in the session's zone would show.
    static func withDatabase(
        tenants: [String], _ body: @Sendable (PostgresClient, Logger) async throws -> Void
    ) async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        defer { Task { await database.drop() } }
        try await database.execute("ALTER DATABASE \(database.name) SET timezone = 'Pacific/Kiritimati'")
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            for tenant in tenants {
                try await client.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant))", logger: logger)
            }
            try await body(client, logger)
        }
    }

    /// A call of `tenant` made at `time`.
    static func call(
        tenant: String = "acme", at time: Date, cost: Double, provider: String = "openai", model: String = "gpt-4o-mini",
        prompt: Int = 0, completion: Int = 0, cached: Int = 0, memory: Int = 0, outcome: String = "ok"
    ) -> UsageRepository.Call {
        UsageRepository.Call(
            tenantID: tenant, jobID: nil, purpose: "memorize", provider: provider, model: model, promptTokens: prompt,
            completionTokens: completion, cachedTokens: cached, memoryTokens: memory, costUSD: cost, latencyMilliseconds: 100, outcome: outcome,
            httpStatus: 200, createdAt: time)
    }

    static func utc(_ text: String) throws -> Date {
        try Date(text, strategy: .iso8601)
    }

    @Test("migration v4 creates the tables and the tenant/time index")
    func migration() async throws {
        try await Self.withDatabase(tenants: []) { client, logger in
            let rows = try await client.query("""
                SELECT count(*)::int FROM pg_class
                WHERE relname IN ('llm_calls', 'tenant_budgets', 'budget_alerts', 'llm_calls_tenant_created_idx')
                """, logger: logger)
            for try await count in rows.decode(Int.self) { #expect(count == 4) }
        }
    }

    @Test("record stores every field of each call; calls of unknown tenants are dropped, not failed")
    func record() async throws {
        try await Self.withDatabase(tenants: ["acme"]) { client, logger in
            let usage = UsageRepository(client: client)
            let before = Date()
            try await usage.record(
                .init(
                    tenantID: "acme", jobID: "job-1", purpose: "memorize", provider: "openai", model: "gpt-4o-mini",
                    promptTokens: 1200, completionTokens: 80, cachedTokens: 1024, costUSD: 0.000123456,
                    latencyMilliseconds: 850, outcome: "ok", httpStatus: 200),
                logger: logger)
            try await usage.record([
                .init(
                    tenantID: "acme", jobID: nil, purpose: "chat", provider: "openai", model: "gpt-4o-mini",
                    promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUSD: 0,
                    latencyMilliseconds: 30_000, outcome: "timeout", httpStatus: nil),
                Self.call(tenant: "deleted-tenant", at: before, cost: 1),
            ], logger: logger)
            try await usage.record([], logger: logger)

            let rows = try await client.query("""
                SELECT job_id, purpose, prompt_tokens, completion_tokens, cached_tokens, cost_usd::text, latency_ms,
                       outcome, http_status
                FROM llm_calls ORDER BY id
                """, logger: logger)
            var stored: [String] = []
            for try await (job, purpose, prompt, completion, cached, cost, latency, outcome, status) in rows.decode(
                (String?, String, Int, Int, Int, String, Int, String, Int?).self)
            {
                stored.append("\(job ?? "-") \(purpose) \(prompt) \(completion) \(cached) \(cost) \(latency) \(outcome) \(status.map(String.init) ?? "-")")
            }
            #expect(stored == [
                "job-1 memorize 1200 80 1024 0.000123456 850 ok 200",
                "- chat 0 0 0 0.000000000 30000 timeout -",
            ])

            let summary = try await usage.summary(
                tenantID: "acme", from: before.addingTimeInterval(-60), to: Date().addingTimeInterval(60), logger: logger)
            #expect(summary.count == 1)
            #expect(summary.first?.totals.calls == 2)
            #expect(summary.first?.totals.failedCalls == 1)
        }
    }

    @Test("summary sums per UTC day, provider and model, only the tenant's calls in range")
    func summary() async throws {
        try await Self.withDatabase(tenants: ["acme", "other"]) { client, logger in
            let juneFirst = try Self.utc("2026-06-01T00:00:00Z")
            let juneSecond = try Self.utc("2026-06-02T00:00:00Z")
            let usage = UsageRepository(client: client)
            try await usage.record([
                Self.call(at: juneFirst, cost: 0.000000001, prompt: 100, completion: 20, cached: 50, memory: 30),
                Self.call(at: juneSecond.addingTimeInterval(-0.001), cost: 0.123456789, prompt: 10, outcome: "rate_limited"),
                Self.call(at: juneFirst.addingTimeInterval(43_200), cost: 1.000000001, provider: "anthropic", model: "claude-haiku"),
                Self.call(at: juneSecond, cost: 2, prompt: 7, completion: 3, cached: 1, outcome: "server_error"),
                // Outside the range, or another tenant's.
                Self.call(at: juneFirst.addingTimeInterval(-0.001), cost: 50),
                Self.call(at: juneSecond.addingTimeInterval(86_400), cost: 50),
                Self.call(tenant: "other", at: juneFirst, cost: 50),
            ], logger: logger)

            let rows = try await usage.summary(
                tenantID: "acme", from: juneFirst, to: juneSecond.addingTimeInterval(86_400), logger: logger)
            #expect(rows.map { "\($0.day) \($0.provider) \($0.model)" } == [
                "2026-06-01 anthropic claude-haiku", "2026-06-01 openai gpt-4o-mini", "2026-06-02 openai gpt-4o-mini",
            ])
            try #require(rows.count == 3)
            let day = rows[1].totals
            #expect(day.calls == 2)
            #expect(day.failedCalls == 1)
            #expect(day.promptTokens == 110)
            #expect(day.completionTokens == 20)
            #expect(day.cachedTokens == 50)
            #expect(abs(day.costUSD - 0.12345679) < 1e-12)

            let total = UsageRepository.Totals(summing: rows)
            #expect(total.calls == 4)
            #expect(total.failedCalls == 2)
            #expect(total.promptTokens == 117)
            #expect(total.completionTokens == 23)
            #expect(total.cachedTokens == 51)
            #expect(total.memoryTokens == 30)
            #expect(abs(total.costUSD - 3.123456791) < 1e-12)

            // Rows encode flat, with the API's keys.
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(rows[0])) as? [String: Any] ?? [:]
            #expect(Set(json.keys) == [
                "date", "provider", "model", "calls", "failed_calls", "prompt_tokens", "completion_tokens", "cached_tokens",
                "memory_tokens", "cost_usd",
            ])
            #expect(json["date"] as? String == "2026-06-01")
        }
    }
}
