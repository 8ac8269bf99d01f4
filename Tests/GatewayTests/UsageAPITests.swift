import Foundation
import PostgresNIO
import Storage
import Testing
import TestSupport

/// `GET /v1/usage` on a gateway without workers: usage is written straight to the database.
@Suite(.serialized)
struct UsageAPITests {
    @Test func usageSumsTheTenantsCallsPerDayWithTotalsAndBudgets() async throws {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "usage-tenant")
        _ = try await fixture.key(tenant: "usage-other")
        let now = Date()
        try await fixture.database.withClient(url: fixture.database.url) { client in
            func call(_ tenant: String, _ time: String, _ model: String, _ cost: Double, _ outcome: String = "ok") throws -> UsageRepository.Call {
                UsageRepository.Call(
                    tenantID: tenant, jobID: nil, purpose: "chat", provider: "openai", model: model, promptTokens: 10,
                    completionTokens: 5, cachedTokens: 2, costUSD: cost, latencyMilliseconds: 100, outcome: outcome,
                    httpStatus: 200, createdAt: try Date(time, strategy: .iso8601))
            }
            try await UsageRepository(client: client).record([
                try call("usage-tenant", "2024-05-31T23:59:59Z", "m1", 9),
                try call("usage-tenant", "2024-06-01T00:00:00Z", "m1", 0.000000001),
                try call("usage-tenant", "2024-06-01T12:00:00Z", "m1", 0.1, "timeout"),
                try call("usage-tenant", "2024-06-02T23:59:59Z", "m2", 0.2),
                try call("usage-tenant", "2024-06-03T00:00:00Z", "m1", 9),
                try call("usage-other", "2024-06-01T12:00:00Z", "m1", 9),
                // Now: in the current month's budget and the default range.
                UsageRepository.Call(
                    tenantID: "usage-tenant", jobID: nil, purpose: "chat", provider: "openai", model: "m1",
                    promptTokens: 1, completionTokens: 1, cachedTokens: 0, costUSD: 0.25, latencyMilliseconds: 10,
                    outcome: "ok", httpStatus: 200),
            ], logger: fixture.logger)
            try await BudgetRepository(client: client).set(
                tenantID: "usage-tenant", period: .month, limitUSD: 1, alertRatio: 0.5, logger: fixture.logger)
        }

        let range = try await fixture.request("GET", "/v1/usage?from=2024-06-01&to=2024-06-02", key: key)
        #expect(range.status == 200, "\(String(decoding: range.body, as: UTF8.self))")
        #expect(range.json["object"] as? String == "usage")
        #expect(range.json["from"] as? String == "2024-06-01")
        #expect(range.json["to"] as? String == "2024-06-02")
        #expect(range.data.map { "\($0["date"] ?? "") \($0["model"] ?? "") \($0["calls"] ?? "") \($0["failed_calls"] ?? "")" } == [
            "2024-06-01 m1 2 1", "2024-06-02 m2 1 0",
        ])
        let total = range.json["total"] as? [String: Any] ?? [:]
        #expect(total["calls"] as? Int == 3)
        #expect(total["failed_calls"] as? Int == 1)
        #expect(total["prompt_tokens"] as? Int == 30)
        #expect(total["completion_tokens"] as? Int == 15)
        #expect(total["cached_tokens"] as? Int == 6)
        #expect(abs((total["cost_usd"] as? Double ?? 0) - 0.300000001) < 1e-12)

        // The month budget counts the call recorded just now (unless the month just turned).
        let budget = (range.json["budgets"] as? [[String: Any]])?.first ?? [:]
        #expect(budget["period"] as? String == "month")
        #expect(budget["limit_usd"] as? Double == 1)
        #expect(budget["alert_ratio"] as? Double == 0.5)
        #expect(budget["spent_usd"] as? Double == 0.25)
        #expect(budget["used_ratio"] as? Double == 0.25)
        #expect(budget["exhausted"] as? Bool == false)
        #expect((budget["period_start"] as? String)?.hasSuffix("-01") == true)

        // By default: the last 30 UTC days, today included.
        let recent = try await fixture.request("GET", "/v1/usage", key: key)
        #expect(recent.status == 200)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let today = calendar.startOfDay(for: now)
        let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
        #expect(recent.json["to"] as? String == day.format(today))
        #expect(recent.json["from"] as? String == day.format(calendar.date(byAdding: .day, value: -29, to: today)!))
        #expect((recent.json["total"] as? [String: Any])?["cost_usd"] as? Double == 0.25)

        let yearLong = try await fixture.request("GET", "/v1/usage?from=2023-06-01&to=2024-05-31", key: key)
        #expect(yearLong.status == 200, "366 days (across a 29 February) is the longest range")

        await fixture.stop()
    }

    @Test func badRangesAreRefusedNamingTheParameter() async throws {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "usage-edge")
        for (query, param) in [
            ("from=2026-13-01", "from"), ("from=2026-02-30", "from"), ("to=2026-6-1", "to"), ("to=yesterday", "to"),
            ("from=+026-06-01", "from"), ("from=2026-06-02&to=2026-06-01", "from"), ("from=2025-01-01&to=2026-01-02", "to"),
        ] {
            let reply = try await fixture.request("GET", "/v1/usage?\(query)", key: key)
            #expect(reply.status == 400, "\(query)")
            #expect(reply.errorCode == "invalid_value", "\(query)")
            #expect((reply.json["error"] as? [String: Any])?["param"] as? String == param, "\(query)")
        }
        await fixture.stop()
    }
}
