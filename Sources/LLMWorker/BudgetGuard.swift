import Cache
import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization

/// Per-tenant LLM budgets in the LLM worker: a call reserves its cost ceiling in the
/// shared `BudgetLedger` before it starts and is refused when a budget has no room for
/// it; each crossing of a budget's alert ratio and of its limit is announced once
/// (`budget.alert`, claimed in PostgreSQL so many replicas send it once).
///
/// Statuses (limits, and spend as PostgreSQL knows it) are cached per tenant for
/// `cacheTTL` and advanced locally by each call's cost. Which tenants have budgets at all
/// is read every `cacheTTL` (`run`), so a tenant without any costs no round trip, not even
/// its first call's: a burst reaching a cold worker does not queue behind a status read.
/// When Redis fails, `onRedisFailure` decides: `open` falls back to the cached statuses
/// (concurrent calls may then overshoot), `closed` refuses the call.
final class BudgetGuard: Service, Sendable {
    struct Exceeded: Error, CustomStringConvertible {
        let period: String
        let limitUSD: Double
        let spentUSD: Double
        var description: String {
            "budget_exceeded: the tenant's \(period)ly LLM budget of $\(limitUSD) has no room for this call ($\(String(format: "%.4f", spentUSD)) spent or reserved)"
        }
    }

    /// The ledger could not be reached and the deployment fails closed.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "budget_unavailable: the tenant's budget cannot be checked right now; try again" }
    }

    private struct Entry {
        var statuses: [BudgetRepository.Status]
        var fetchedAt: ContinuousClock.Instant
        /// Alerts this process already claimed or saw claimed: (period, start, threshold).
        var announced: Set<String>
    }

    private let budgets: BudgetRepository
    private let ledger: BudgetLedger
    private let onRedisFailure: RedisFailurePolicy
    private let publisher: Publisher
    private let topology: Topology
    private let cacheTTL: Duration
    private let entries = Mutex<[String: Entry]>([:])
    private let refreshes = Mutex<[String: Task<[BudgetRepository.Status], any Error>]>([:])
    /// The tenants with a budget as last read, and when.
    private let budgeted = Mutex<(tenants: Set<String>, readAt: ContinuousClock.Instant)?>(nil)
    /// Announced crossings by period and level, and calls refused by period: which tenant
    /// is in the `budget.alert` event and the log, never a label (tenants are unbounded).
    private let alerts: [String: Counter]
    private let refusals: [String: Counter]
    private let logger: Logger

    init(
        budgets: BudgetRepository, ledger: BudgetLedger, onRedisFailure: RedisFailurePolicy, publisher: Publisher,
        topology: Topology, cacheTTL: Duration = .seconds(2), factory: any MetricsFactory, logger: Logger
    ) {
        let periods = BudgetRepository.Period.allCases.map(\.rawValue)
        alerts = Dictionary(uniqueKeysWithValues: periods.flatMap { period in
            ["warning", "exhausted"].map { level in
                ("\(period):\(level)", Counter(
                    label: "memgrid_llm_budget_alerts_total", dimensions: [("period", period), ("level", level)], factory: factory))
            }
        })
        refusals = Dictionary(uniqueKeysWithValues: periods.map { period in
            (period, Counter(label: "memgrid_llm_budget_refusals_total", dimensions: [("period", period)], factory: factory))
        })
        self.budgets = budgets
        self.ledger = ledger
        self.onRedisFailure = onRedisFailure
        self.publisher = publisher
        self.topology = topology
        self.cacheTTL = cacheTTL
        self.logger = logger
    }

    /// Reads which tenants have budgets every `cacheTTL` until shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.readBudgetedTenants()
                try? await Task.sleep(for: self.cacheTTL)
            }
        }
    }

    func readBudgetedTenants() async {
        do {
            let tenants = try await budgets.tenantsWithBudgets(logger: logger)
            budgeted.withLock { $0 = (tenants, ContinuousClock.now) }
        } catch {
            // Older than twice the TTL, the last read is not trusted: every tenant's statuses are read.
            logger.warning("could not read which tenants have LLM budgets", metadata: ["error": "\(error)"])
        }
    }

    /// Reserves `costUSD` (the call's ceiling) in every budget of the tenant; throws
    /// `Exceeded` when one has no room for it. Settle the reservation when the call ends.
    func reserve(tenantID: String, costUSD: Double) async throws -> BudgetLedger.Reservation {
        let statuses = try await statuses(tenantID: tenantID)
        if let status = statuses.first(where: \.isExhausted) {
            throw refuse(Exceeded(period: status.period.rawValue, limitUSD: status.limitUSD, spentUSD: status.spentUSD))
        }
        do {
            return try await ledger.reserve(tenantID: tenantID, statuses: statuses, costUSD: costUSD)
        } catch let full as BudgetLedger.Full {
            let status = statuses[full.index]
            throw refuse(Exceeded(period: status.period.rawValue, limitUSD: status.limitUSD, spentUSD: full.committedUSD))
        } catch {
            logger.warning("budget ledger unavailable", metadata: [
                "tenant.id": "\(tenantID)", "error": "\(error)", "budget.on_redis_failure": "\(onRedisFailure.rawValue)",
            ])
            guard onRedisFailure == .open else { throw Unavailable() }
            return .none
        }
    }

    private func refuse(_ exceeded: Exceeded) -> Exceeded {
        refusals[exceeded.period]?.increment()
        return exceeded
    }

    /// Ends a reservation with the call's real cost (every attempt's).
    func settle(_ reservation: BudgetLedger.Reservation, tenantID: String, costUSD: Double) async {
        do {
            try await ledger.settle(reservation, costUSD: costUSD)
        } catch {
            logger.warning("could not settle a budget reservation", metadata: ["tenant.id": "\(tenantID)", "error": "\(error)"])
        }
    }

    /// Adds a call's cost to the tenant's cached spend and announces the thresholds it crossed.
    func charge(tenantID: String, costUSD: Double) async {
        guard costUSD > 0 else { return }
        let crossed: [(BudgetRepository.Status, Double)] = entries.withLock { entries in
            guard var entry = entries[tenantID] else { return [] }
            var crossed: [(BudgetRepository.Status, Double)] = []
            for index in entry.statuses.indices {
                entry.statuses[index].spentUSD += costUSD
                let status = entry.statuses[index]
                for threshold in [status.alertRatio, 1.0] where status.usedRatio >= threshold {
                    if entry.announced.insert(Self.key(status, threshold)).inserted { crossed.append((status, threshold)) }
                }
            }
            entries[tenantID] = entry
            return crossed
        }
        for (status, threshold) in crossed { await announce(status, threshold: threshold, tenantID: tenantID) }
    }

    /// The tenant's cached statuses. From `cacheTTL` on, the first caller starts one
    /// read in the background and every caller goes on with the cached statuses until it
    /// lands; only a missing entry, or one older than twice the TTL, is waited for, by one
    /// read that every concurrent caller awaits (a burst of calls for one tenant must not
    /// become a burst of queries, nor wait behind one).
    private func statuses(tenantID: String) async throws -> [BudgetRepository.Status] {
        let now = ContinuousClock.now
        let withoutBudgets = budgeted.withLock { budgeted in
            budgeted.map { now - $0.readAt < cacheTTL * 2 && !$0.tenants.contains(tenantID) } ?? false
        }
        if withoutBudgets { return [] }
        let cached: (statuses: [BudgetRepository.Status], age: Duration)? = entries.withLock { entries in
            entries[tenantID].map { ($0.statuses, now - $0.fetchedAt) }
        }
        if let cached, cached.age < cacheTTL { return cached.statuses }
        let pending = refreshes.withLock { refreshes in
            if let pending = refreshes[tenantID] { return pending }
            let task = Task { try await self.refresh(tenantID: tenantID) }
            refreshes[tenantID] = task
            return task
        }
        if let cached, cached.age < cacheTTL * 2 { return cached.statuses }
        return try await pending.value
    }

    private func refresh(tenantID: String) async throws -> [BudgetRepository.Status] {
        defer { _ = refreshes.withLock { $0.removeValue(forKey: tenantID) } }
        let fresh = try await budgets.status(tenantID: tenantID, logger: logger)
        entries.withLock { entries in
            // Announcements of a past period no longer matter.
            let announced: Set<String> = entries[tenantID]?.announced.filter { key in
                fresh.contains { key.hasPrefix("\($0.period.rawValue):\($0.periodStart):") }
            } ?? []
            entries[tenantID] = Entry(statuses: fresh, fetchedAt: ContinuousClock.now, announced: announced)
        }
        return fresh
    }

    private func announce(_ status: BudgetRepository.Status, threshold: Double, tenantID: String) async {
        do {
            guard try await budgets.claimAlert(
                tenantID: tenantID, period: status.period, periodStart: status.periodStart, threshold: threshold, logger: logger)
            else { return }
            let event = EventEnvelope(
                id: "budget-alert:\(tenantID):\(Self.key(status, threshold))", tenantID: tenantID,
                payload: BudgetAlert(
                    period: status.period.rawValue, periodStart: "\(status.periodStart)", limitUSD: status.limitUSD,
                    spentUSD: status.spentUSD, threshold: threshold))
            try await publisher.publish(try OutgoingMessage.event(event, topology: topology))
            alerts["\(status.period.rawValue):\(threshold >= 1 ? "exhausted" : "warning")"]?.increment()
            logger.warning("LLM budget threshold crossed", metadata: [
                "tenant.id": "\(tenantID)", "budget.period": "\(status.period.rawValue)",
                "budget.threshold": "\(threshold)", "budget.spent_usd": "\(status.spentUSD)", "budget.limit_usd": "\(status.limitUSD)",
            ])
        } catch {
            logger.error("could not announce a budget alert", metadata: ["tenant.id": "\(tenantID)", "error": "\(error)"])
        }
    }

    private static func key(_ status: BudgetRepository.Status, _ threshold: Double) -> String {
        "\(status.period.rawValue):\(status.periodStart):\(threshold)"
    }
}
