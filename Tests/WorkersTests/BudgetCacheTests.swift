import Cache
import Contracts
import Foundation
import Logging
@testable import LLMWorker
import Messaging
import Metrics
import Storage
import Testing
import TestSupport

/// A tenant's budget statuses past their cache TTL are served while one read refreshes
/// them, so a burst of calls does not wait behind that read; only an entry older than
/// twice the TTL (or none) is waited for.
@Suite("Budget statuses: served while they refresh", .serialized)
struct BudgetCacheTests {
    /// A guard over a scratch database holding tenants `t1` (with a monthly budget of $10)
    /// and `t2` (none), and a fresh Redis prefix.
    private static func withGuard(
        cacheTTL: Duration, _ body: @Sendable (BudgetGuard, BudgetRepository, Logger) async throws -> Void
    ) async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        try await database.execute("INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant One'), ('t2', 'Tenant Two')")
        let logger = Logger(label: "test.budget-cache")
        let redis = RedisClient(configuration: try .init(url: TestRedis.url))
        let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
        try await database.withClient(url: database.url) { client in
            let budgets = BudgetRepository(client: client)
            try await budgets.set(tenantID: "t1", period: .month, limitUSD: 10, logger: logger)
            let guardian = BudgetGuard(
                budgets: budgets, ledger: BudgetLedger(redis: redis, prefix: prefix), onRedisFailure: .closed,
                publisher: Publisher(configuration: TestBroker.configuration, logger: logger), topology: Topology(prefix: prefix),
                cacheTTL: cacheTTL, factory: NOOPMetricsHandler.instance, logger: logger)
            try await body(guardian, budgets, logger)
        }
        await redis.shutdown()
        await database.drop()
    }

    @Test("a stale entry answers at once and starts the read; the next calls see what it read")
    func staleWhileRefreshing() async throws {
        // Long enough that a loaded test run still makes its second call within twice the TTL.
        let ttl = Duration.seconds(5)
        try await Self.withGuard(cacheTTL: ttl) { guardian, budgets, logger in
            _ = try await guardian.reserve(tenantID: "t1", costUSD: 1)
            // The tenant's limit drops under what is reserved; this process still caches $10.
            try await budgets.set(tenantID: "t1", period: .month, limitUSD: 0.5, logger: logger)
            try await Task.sleep(for: ttl + .milliseconds(500))

            // Past the TTL, within twice it: answered from the cache, the read runs meanwhile.
            _ = try await guardian.reserve(tenantID: "t1", costUSD: 1)
            let refused = try await TestBroker.eventually {
                do {
                    _ = try await guardian.reserve(tenantID: "t1", costUSD: 1)
                    return false
                } catch is BudgetGuard.Exceeded {
                    return true
                }
            }
            #expect(refused)
        }
    }

    @Test("a tenant missing from the last read of budgeted tenants needs no status read; a budget set since binds from the next")
    func tenantsWithoutBudgets() async throws {
        try await Self.withGuard(cacheTTL: .seconds(60)) { guardian, budgets, logger in
            await guardian.readBudgetedTenants()

            // t2's first call reads nothing: the budget set after the read is not seen yet.
            try await budgets.set(tenantID: "t2", period: .month, limitUSD: 0.5, logger: logger)
            _ = try await guardian.reserve(tenantID: "t2", costUSD: 1)
            await #expect(throws: BudgetGuard.Exceeded.self) { _ = try await guardian.reserve(tenantID: "t1", costUSD: 11) }

            await guardian.readBudgetedTenants()
            await #expect(throws: BudgetGuard.Exceeded.self) { _ = try await guardian.reserve(tenantID: "t2", costUSD: 1) }
        }
    }
}
