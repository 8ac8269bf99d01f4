import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("Tenant budgets against the real PostgreSQL")
struct BudgetRepositoryTests {
    @Test("set upserts, list orders day/week/month, remove reports whether it removed")
    func crud() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: ["acme", "other"]) { client, logger in
            let budgets = BudgetRepository(client: client)
            let first = try await budgets.set(tenantID: "acme", period: .month, limitUSD: 100, alertRatio: 0.5, logger: logger)
            #expect(first.limitUSD == 100 && first.alertRatio == 0.5)
            try await budgets.set(tenantID: "acme", period: .day, limitUSD: 5, logger: logger)
            // The upsert replaces both values; the limit keeps 4 decimals.
            let replaced = try await budgets.set(tenantID: "acme", period: .month, limitUSD: 12.34567, logger: logger)
            #expect(replaced.updatedAt > first.updatedAt)
            try await budgets.set(tenantID: "other", period: .week, limitUSD: 1, logger: logger)

            let listed = try await budgets.list(tenantID: "acme", logger: logger)
            #expect(listed.map(\.period) == [.day, .month])
            #expect(listed.map(\.limitUSD) == [5, 12.3457])
            #expect(listed.map(\.alertRatio) == [0.8, 0.8])
            #expect(listed.allSatisfy { $0.tenantID == "acme" })

            #expect(try await budgets.remove(tenantID: "acme", period: .week, logger: logger) == false)
            #expect(try await budgets.remove(tenantID: "acme", period: .day, logger: logger))
            #expect(try await budgets.remove(tenantID: "acme", period: .day, logger: logger) == false)
            #expect(try await budgets.list(tenantID: "acme", logger: logger).map(\.period) == [.month])
            #expect(try await budgets.list(tenantID: "other", logger: logger).map(\.period) == [.week])
        }
    }

    @Test("the database refuses a limit that rounds to zero and a ratio outside (0, 1]")
    func checks() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: ["acme"]) { client, logger in
            let budgets = BudgetRepository(client: client)
            await #expect(throws: PSQLError.self) {
                try await budgets.set(tenantID: "acme", period: .day, limitUSD: 0.00004, logger: logger)
            }
            await #expect(throws: PSQLError.self) {
                try await budgets.set(tenantID: "acme", period: .day, limitUSD: 1, alertRatio: 1.01, logger: logger)
            }
            await #expect(throws: PSQLError.self) {
                try await budgets.set(tenantID: "acme", period: .day, limitUSD: 1, alertRatio: 0, logger: logger)
            }
            let full = try await budgets.set(tenantID: "acme", period: .day, limitUSD: 1, alertRatio: 1, logger: logger)
            #expect(full.alertRatio == 1)
        }
    }

    @Test("a budget for an unknown tenant is refused with not_found")
    func unknownTenant() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: []) { client, logger in
            let error = await #expect(throws: StorageError.self) {
                try await BudgetRepository(client: client).set(tenantID: "ghost", period: .day, limitUSD: 1, logger: logger)
            }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains("tenant") == true)
        }
    }

    /// 2026-06-01 is a Monday and the 1st: every period starts at its midnight (UTC).
    @Test("status sums the current UTC period: a call just before midnight, Monday or the 1st counts in the previous one")
    func periods() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: ["acme", "other"]) { client, logger in
            let budgets = BudgetRepository(client: client)
            try await budgets.set(tenantID: "acme", period: .day, limitUSD: 3, alertRatio: 0.5, logger: logger)
            try await budgets.set(tenantID: "acme", period: .week, limitUSD: 50, logger: logger)
            try await budgets.set(tenantID: "acme", period: .month, limitUSD: 100, logger: logger)

            let monday = try UsageRepositoryTests.utc("2026-06-01T00:00:00Z")
            let day: TimeInterval = 86_400
            try await UsageRepository(client: client).record([
                UsageRepositoryTests.call(at: monday.addingTimeInterval(-0.001), cost: 7),  // Sunday 31 May: the previous day, week and month
                UsageRepositoryTests.call(at: monday, cost: 1.5),
                UsageRepositoryTests.call(at: monday.addingTimeInterval(2 * day - 0.001), cost: 2),  // Tuesday, last millisecond
                UsageRepositoryTests.call(at: monday.addingTimeInterval(2.4 * day), cost: 0.5),  // Wednesday
                UsageRepositoryTests.call(at: monday.addingTimeInterval(7 * day), cost: 40),  // the next Monday
                UsageRepositoryTests.call(at: monday.addingTimeInterval(30 * day), cost: 60),  // 1 July
                UsageRepositoryTests.call(tenant: "other", at: monday.addingTimeInterval(2.4 * day), cost: 1000),
            ], logger: logger)

            func status(at now: Date) async throws -> [String] {
                try await budgets.status(tenantID: "acme", now: now, logger: logger)
                    .map { "\($0.period.rawValue) \($0.periodStart) \($0.spentUSD)" }
            }
            #expect(try await status(at: monday.addingTimeInterval(-0.001)) == [
                "day 2026-05-31 7.0", "week 2026-05-25 7.0", "month 2026-05-01 7.0",
            ])
            // A period sums all of its calls, whichever instant in it `now` is.
            #expect(try await status(at: monday) == ["day 2026-06-01 1.5", "week 2026-06-01 4.0", "month 2026-06-01 44.0"])
            #expect(try await status(at: monday.addingTimeInterval(2.5 * day)) == [
                "day 2026-06-03 0.5", "week 2026-06-01 4.0", "month 2026-06-01 44.0",
            ])
            #expect(try await status(at: monday.addingTimeInterval(8 * day)) == [
                "day 2026-06-09 0.0", "week 2026-06-08 40.0", "month 2026-06-01 44.0",
            ])
            #expect(try await status(at: monday.addingTimeInterval(30 * day)) == [
                "day 2026-07-01 60.0", "week 2026-06-29 60.0", "month 2026-07-01 60.0",
            ])
            #expect(try await budgets.status(tenantID: "nobody", logger: logger).isEmpty)
        }
    }

    @Test("status reports the used ratio and exhaustion (spent ≥ limit)")
    func exhaustion() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: ["acme"]) { client, logger in
            let budgets = BudgetRepository(client: client)
            try await budgets.set(tenantID: "acme", period: .day, limitUSD: 2, alertRatio: 0.5, logger: logger)
            try await budgets.set(tenantID: "acme", period: .month, limitUSD: 8, logger: logger)
            let now = try UsageRepositoryTests.utc("2026-06-10T12:00:00Z")
            let empty = try await budgets.status(tenantID: "acme", now: now, logger: logger)
            #expect(empty.map(\.spentUSD) == [0, 0])
            #expect(empty.map(\.isExhausted) == [false, false])

            try await UsageRepository(client: client).record(
                [UsageRepositoryTests.call(at: now, cost: 1.5), UsageRepositoryTests.call(at: now, cost: 0.5)], logger: logger)
            let spent = try await budgets.status(tenantID: "acme", now: now, logger: logger)
            #expect(spent.map(\.period) == [.day, .month])
            #expect(spent.map(\.alertRatio) == [0.5, 0.8])
            #expect(spent.map(\.limitUSD) == [2, 8])
            #expect(spent.map(\.usedRatio) == [1, 0.25])
            #expect(spent.map(\.isExhausted) == [true, false])
        }
    }

    @Test("an alert is claimed once per tenant, period, period start and threshold")
    func claimAlert() async throws {
        try await UsageRepositoryTests.withDatabase(tenants: ["acme", "other"]) { client, logger in
            let budgets = BudgetRepository(client: client)
            @Sendable func claim(
                tenant: String = "acme", period: BudgetRepository.Period = .month, start: String = "2026-06-01",
                threshold: Double = 0.8
            ) async throws -> Bool {
                try await budgets.claimAlert(tenantID: tenant, period: period, periodStart: start, threshold: threshold, logger: logger)
            }
            #expect(try await claim())
            #expect(try await claim() == false)
            #expect(try await claim(threshold: 1))
            #expect(try await claim(start: "2026-07-01"))
            #expect(try await claim(period: .day))
            #expect(try await claim(tenant: "other"))

            // Many replicas noticing the same threshold at once: exactly one sends.
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<12 { group.addTask { try await claim(start: "2026-08-01") } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }
}
