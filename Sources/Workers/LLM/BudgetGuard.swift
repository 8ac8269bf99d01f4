import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import Storage
import Synchronization

/// Per-tenant LLM budgets in the LLM worker: refuses work for a tenant whose budget is
/// used up, and announces each crossing of a budget's alert ratio and of its limit
/// once (`budget.alert`, claimed in PostgreSQL so many replicas send it once).
///
/// Statuses are cached per tenant for `cacheTTL` and advanced locally by each call's
/// cost, so the check costs no database round trip on the hot path; replicas' spend
/// meet in PostgreSQL at the next refresh.
final class BudgetGuard: Sendable {
    struct Exceeded: Error, CustomStringConvertible {
        let period: String
        let limitUSD: Double
        let spentUSD: Double
        var description: String {
            "budget_exceeded: the tenant's \(period)ly LLM budget of $\(limitUSD) is used up ($\(String(format: "%.4f", spentUSD)) spent)"
        }
    }

    private struct Entry {
        var statuses: [BudgetRepository.Status]
        var fetchedAt: ContinuousClock.Instant
        /// Alerts this process already claimed or saw claimed: (period, start, threshold).
        var announced: Set<String>
    }

    private let budgets: BudgetRepository
    private let publisher: Publisher
    private let topology: Topology
    private let cacheTTL: Duration
    private let entries = Mutex<[String: Entry]>([:])
    private let refreshes = Mutex<[String: Task<[BudgetRepository.Status], any Error>]>([:])
    private let logger: Logger

    init(budgets: BudgetRepository, publisher: Publisher, topology: Topology, cacheTTL: Duration = .seconds(2), logger: Logger) {
        self.budgets = budgets
        self.publisher = publisher
        self.topology = topology
        self.cacheTTL = cacheTTL
        self.logger = logger
    }

    /// Throws `Exceeded` when a budget of the tenant is used up.
    func check(tenantID: String) async throws {
        for status in try await statuses(tenantID: tenantID) where status.isExhausted {
            throw Exceeded(period: status.period.rawValue, limitUSD: status.limitUSD, spentUSD: status.spentUSD)
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
        if let statuses = entries.withLock({ $0[tenantID]?.statuses }) { record(statuses, tenantID: tenantID) }
    }

    /// The tenant's cached statuses; a stale or missing entry is read again by one
    /// caller while every other concurrent caller awaits that same read (a burst of
    /// calls for one tenant must not become a burst of queries).
    private func statuses(tenantID: String) async throws -> [BudgetRepository.Status] {
        let now = ContinuousClock.now
        let cached: [BudgetRepository.Status]? = entries.withLock { entries in
            guard let entry = entries[tenantID], now - entry.fetchedAt < cacheTTL else { return nil }
            return entry.statuses
        }
        if let cached { return cached }
        let pending = refreshes.withLock { refreshes in
            if let pending = refreshes[tenantID] { return pending }
            let task = Task { try await self.refresh(tenantID: tenantID) }
            refreshes[tenantID] = task
            return task
        }
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
        record(fresh, tenantID: tenantID)
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
            logger.warning("LLM budget threshold crossed", metadata: [
                "tenant.id": "\(tenantID)", "budget.period": "\(status.period.rawValue)",
                "budget.threshold": "\(threshold)", "budget.spent_usd": "\(status.spentUSD)", "budget.limit_usd": "\(status.limitUSD)",
            ])
        } catch {
            logger.error("could not announce a budget alert", metadata: ["tenant.id": "\(tenantID)", "error": "\(error)"])
        }
    }

    private func record(_ statuses: [BudgetRepository.Status], tenantID: String) {
        for status in statuses {
            Gauge(label: "memgrid_llm_budget_used_ratio", dimensions: [("tenant", tenantID), ("period", status.period.rawValue)])
                .record(status.usedRatio)
        }
    }

    private static func key(_ status: BudgetRepository.Status, _ threshold: Double) -> String {
        "\(status.period.rawValue):\(status.periodStart):\(threshold)"
    }
}
