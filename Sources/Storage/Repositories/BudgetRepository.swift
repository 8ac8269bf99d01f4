public import Foundation
public import Logging
public import PostgresNIO

/// Per-tenant spending limits on LLM calls, per UTC calendar period, and the alerts sent
/// when spending crosses a threshold.
public struct BudgetRepository: Sendable {
    /// A UTC calendar period: the day, the ISO week (from Monday), or the month. Rows with
    /// a period a newer migration added are skipped by binaries that predate it (rolling
    /// deploys), rather than failing their reads.
    public enum Period: String, Sendable, CaseIterable {
        case day, week, month
    }

    /// A configured limit.
    public struct Budget: Sendable, Equatable {
        public var tenantID: String
        public var period: Period
        public var limitUSD: Double
        /// The share of the limit at which an alert goes out, in (0, 1].
        public var alertRatio: Double
        public var updatedAt: Date
    }

    /// A budget and what was spent against it in the current period.
    public struct Status: Sendable, Equatable {
        public var period: Period
        /// The UTC date the current period began, `YYYY-MM-DD`.
        public var periodStart: String
        public var limitUSD: Double
        public var alertRatio: Double
        /// Cost of the tenant's calls in the current period.
        public var spentUSD: Double

        public var usedRatio: Double { spentUSD / limitUSD }
        public var isExhausted: Bool { spentUSD >= limitUSD }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Creates or replaces the tenant's budget for `period`. The database refuses a limit
    /// that rounds to 0 (it keeps 4 decimals) and a ratio outside (0, 1]; an unknown
    /// tenant throws `.notFound`.
    @discardableResult
    public func set(
        tenantID: String, period: Period, limitUSD: Double, alertRatio: Double = 0.8, logger: Logger
    ) async throws -> Budget {
        do {
            return try await budgets("""
                INSERT INTO tenant_budgets (tenant_id, period, limit_usd, alert_ratio)
                VALUES (\(tenantID), \(period.rawValue), \(limitUSD), \(alertRatio))
                ON CONFLICT (tenant_id, period)
                DO UPDATE SET limit_usd = EXCLUDED.limit_usd, alert_ratio = EXCLUDED.alert_ratio, updated_at = now()
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)[0]
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StorageError(.notFound, "the tenant does not exist; it is created with its first API key")
        }
    }

    /// Deletes the tenant's budget for `period`; false if there was none.
    public func remove(tenantID: String, period: Period, logger: Logger) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM tenant_budgets WHERE tenant_id = \(tenantID) AND period = \(period.rawValue) RETURNING 1",
            logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// The tenant's budgets: day, week, month.
    public func list(tenantID: String, logger: Logger) async throws -> [Budget] {
        try await budgets("""
            SELECT \(unescaped: Self.columns) FROM tenant_budgets WHERE tenant_id = \(tenantID)
            ORDER BY \(unescaped: Self.periodOrder)
            """, logger: logger)
    }

    /// Every budget of the tenant with its spending in the period containing `now`, in one
    /// query: day, week, month.
    /// Every tenant with at least one budget.
    public func tenantsWithBudgets(logger: Logger) async throws -> Set<String> {
        var found: Set<String> = []
        for try await tenantID in try await client.query("SELECT DISTINCT tenant_id FROM tenant_budgets", logger: logger).decode(String.self) {
            found.insert(tenantID)
        }
        return found
    }

    public func status(tenantID: String, now: Date = Date(), logger: Logger) async throws -> [Status] {
        // `start` is the period's first instant as UTC wall time; `AT TIME ZONE 'UTC'`
        // turns it back into a timestamptz so the sum reads the (tenant_id, created_at) index.
        let rows = try await client.query("""
            SELECT period, to_char(start, 'YYYY-MM-DD'), limit_usd::float8, alert_ratio, coalesce(spent, 0)::float8
            FROM tenant_budgets
            CROSS JOIN LATERAL (SELECT date_trunc(period, \(now)::timestamptz AT TIME ZONE 'UTC') AS start) AS p
            CROSS JOIN LATERAL (
                SELECT sum(cost_usd) AS spent FROM llm_calls
                WHERE llm_calls.tenant_id = tenant_budgets.tenant_id
                  AND created_at >= start AT TIME ZONE 'UTC'
                  AND created_at < (start + ('1 ' || period)::interval) AT TIME ZONE 'UTC'
            ) AS s
            WHERE tenant_id = \(tenantID)
            ORDER BY \(unescaped: Self.periodOrder)
            """, logger: logger)
        var found: [Status] = []
        for try await (period, start, limit, ratio, spent) in rows.decode((String, String, Double, Double, Double).self) {
            guard let period = Period(rawValue: period) else { continue }
            found.append(Status(period: period, periodStart: start, limitUSD: limit, alertRatio: ratio, spentUSD: spent))
        }
        return found
    }

    /// Records that the alert for `threshold` (a used ratio) went out for the period
    /// beginning `periodStart` (`YYYY-MM-DD`). True only for the one caller that recorded
    /// it, however many race: that caller sends the alert.
    public func claimAlert(
        tenantID: String, period: Period, periodStart: String, threshold: Double, logger: Logger
    ) async throws -> Bool {
        let rows = try await client.query("""
            INSERT INTO budget_alerts (tenant_id, period, period_start, threshold)
            VALUES (\(tenantID), \(period.rawValue), \(periodStart)::date, \(threshold))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    // MARK: - SQL helpers

    private static let columns = "tenant_id, period, limit_usd::float8, alert_ratio, updated_at"

    private static let periodOrder = "array_position(ARRAY['day', 'week', 'month'], period)"

    private func budgets(_ query: PostgresQuery, logger: Logger) async throws -> [Budget] {
        var found: [Budget] = []
        for try await (tenant, period, limit, ratio, updated) in try await client.query(query, logger: logger)
            .decode((String, String, Double, Double, Date).self)
        {
            guard let period = Period(rawValue: period) else { continue }
            found.append(Budget(tenantID: tenant, period: period, limitUSD: limit, alertRatio: ratio, updatedAt: updated))
        }
        return found
    }
}
