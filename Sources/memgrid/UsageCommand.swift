import ArgumentParser
import Contracts
import Foundation
import Logging
import PostgresNIO
import Storage
import WorkerRuntime

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "A tenant's LLM calls, tokens and cost per UTC day, provider and model, with a total.")

    @Option(help: "Tenant id.")
    var tenant: String

    @Option(help: "How many UTC days to show, today included (1 to 366).")
    var days = 30

    @Flag(help: "Print one JSON object per row (the API's `data` entries) instead of a table.")
    var json = false

    func validate() throws {
        guard (1...366).contains(days) else { throw ValidationError("--days: 1 to 366") }
    }

    func run() async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let tomorrow = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: Date()))!
        let from = calendar.date(byAdding: .day, value: -days, to: tomorrow)!
        let rows = try await AdminDatabase.with(label: "memgrid.usage") { [tenant] client, logger in
            try await UsageRepository(client: client).summary(tenantID: tenant, from: from, to: tomorrow, logger: logger)
        }
        if json {
            let encoder = WireJSON.encoder()
            for row in rows { print(String(decoding: try encoder.encode(row), as: UTF8.self)) }
            return
        }
        print(["date", "provider", "model", "calls", "failed", "prompt", "completion", "cached", "cost_usd"].joined(separator: "\t"))
        for row in rows { print(([row.day, row.provider, row.model] + Self.fields(row.totals)).joined(separator: "\t")) }
        print((["total", "", ""] + Self.fields(UsageRepository.Totals(summing: rows))).joined(separator: "\t"))
    }

    static func fields(_ totals: UsageRepository.Totals) -> [String] {
        [totals.calls, totals.failedCalls, totals.promptTokens, totals.completionTokens, totals.cachedTokens].map(String.init)
            + [String(format: "%.6f", totals.costUSD)]
    }
}
