// Public: `Period` (a public type) conforms to `ExpressibleByArgument` below.
public import ArgumentParser
import Foundation
import Storage

struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Manage tenants' LLM spending limits per UTC day, ISO week (from Monday) or month.",
        subcommands: [SetLimit.self, List.self, Remove.self])

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set (or replace) a tenant's limit for one period.")

        @Option(help: "Tenant id (it must exist: tenants are created with their first API key).")
        var tenant: String

        @Option(help: "The period the limit applies to.")
        var period: BudgetRepository.Period

        @Option(name: .customLong("limit-usd"), help: "The limit in USD (4 decimals are kept).")
        var limitUSD: Double

        @Option(help: "The share of the limit at which an alert goes out, in (0, 1].")
        var alertRatio = 0.8

        func validate() throws {
            // numeric(14,4): at least 0.0001, fewer than 10 integer digits.
            guard limitUSD >= 0.0001, limitUSD < 1e10 else { throw ValidationError("--limit-usd: 0.0001 to 9999999999.9999") }
            guard alertRatio > 0, alertRatio <= 1 else { throw ValidationError("--alert-ratio: greater than 0, at most 1") }
        }

        func run() async throws {
            let budget = try await AdminDatabase.with(label: "memgrid.budget") { [tenant, period, limitUSD, alertRatio] client, logger in
                do {
                    return try await BudgetRepository(client: client).set(
                        tenantID: tenant, period: period, limitUSD: limitUSD, alertRatio: alertRatio, logger: logger)
                } catch let error as StorageError where error.code == .notFound {
                    throw ValidationError("no tenant '\(tenant)': tenants are created with their first key (`memgrid keys create`)")
                }
            }
            print("tenant \(budget.tenantID): \(budget.period.rawValue) limit \(budget.limitUSD) USD, alert at \(budget.alertRatio * 100)%")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a tenant's budgets with what was spent in the current period.")

        @Option(help: "Tenant id.")
        var tenant: String

        func run() async throws {
            let statuses = try await AdminDatabase.with(label: "memgrid.budget") { [tenant] client, logger in
                try await BudgetRepository(client: client).status(tenantID: tenant, logger: logger)
            }
            print(["period", "period_start", "spent_usd", "limit_usd", "used", "alert_at", "exhausted"].joined(separator: "\t"))
            for status in statuses {
                let fields = [
                    status.period.rawValue, status.periodStart, String(format: "%.6f", status.spentUSD),
                    String(format: "%.4f", status.limitUSD), String(format: "%.1f%%", status.usedRatio * 100),
                    String(format: "%.1f%%", status.alertRatio * 100), status.isExhausted ? "yes" : "no",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tenant's limit for one period.")

        @Option(help: "Tenant id.")
        var tenant: String

        @Option(help: "The period whose limit to remove.")
        var period: BudgetRepository.Period

        func run() async throws {
            let removed = try await AdminDatabase.with(label: "memgrid.budget") { [tenant, period] client, logger in
                try await BudgetRepository(client: client).remove(tenantID: tenant, period: period, logger: logger)
            }
            guard removed else { throw ValidationError("tenant '\(tenant)' has no \(period.rawValue) budget") }
            print("removed the \(period.rawValue) budget of tenant \(tenant)")
        }
    }
}

extension BudgetRepository.Period: ExpressibleByArgument {}
