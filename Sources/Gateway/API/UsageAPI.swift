import Foundation
import Hummingbird
import Storage

/// `GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD`: the caller's LLM calls, tokens and cost
/// per UTC day, provider and model over whole UTC days (both ends included; by default the
/// last 30 days), with the total and where each budget stands in its current period.
struct UsageAPI: Sendable {
    static let defaultDays = 30
    static let maxDays = 366

    struct Body: Encodable {
        var object = "usage"
        var from: String
        var to: String
        var data: [UsageRepository.Row]
        var total: UsageRepository.Totals
        var budgets: [BudgetView]
    }

    struct BudgetView: Encodable {
        var period: String
        var periodStart: String
        var limitUSD: Double
        var spentUSD: Double
        var usedRatio: Double
        var alertRatio: Double
        var exhausted: Bool

        init(_ status: BudgetRepository.Status) {
            period = status.period.rawValue
            periodStart = status.periodStart
            limitUSD = status.limitUSD
            spentUSD = status.spentUSD
            usedRatio = status.usedRatio
            alertRatio = status.alertRatio
            exhausted = status.isExhausted
        }

        enum CodingKeys: String, CodingKey {
            case period, exhausted
            case periodStart = "period_start"
            case limitUSD = "limit_usd"
            case spentUSD = "spent_usd"
            case usedRatio = "used_ratio"
            case alertRatio = "alert_ratio"
        }
    }

    let reads: ReadReplicas

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/usage", use: summary)
    }

    func summary(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let query = try request.formQuery()
        let to = try query.get("to").map { try Self.day($0, param: "to") } ?? Self.calendar.startOfDay(for: Date())
        let from = try query.get("from").map { try Self.day($0, param: "from") } ?? Self.adding(days: 1 - Self.defaultDays, to: to)
        guard from <= to else { throw APIError.invalid("from must be on or before to", param: "from") }
        guard Self.adding(days: Self.maxDays, to: from) > to else {
            throw APIError.invalid("the range from…to may span at most \(Self.maxDays) days", param: "to")
        }
        let (data, statuses) = try await reads.read { client in
            async let rows = UsageRepository(client: client).summary(
                tenantID: tenantID, from: from, to: Self.adding(days: 1, to: to), logger: context.logger)
            async let statuses = BudgetRepository(client: client).status(tenantID: tenantID, logger: context.logger)
            return try await (rows, statuses)
        }
        return try .json(Body(
            from: Self.format(from), to: Self.format(to), data: data, total: UsageRepository.Totals(summing: data),
            budgets: statuses.map(BudgetView.init)))
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    /// A real calendar date written `YYYY-MM-DD`, as the UTC midnight that starts it.
    static func day(_ text: String, param: String) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.map(\.count) == [4, 2, 2], parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
            let date = calendar.date(from: DateComponents(year: Int(parts[0]), month: Int(parts[1]), day: Int(parts[2]))),
            format(date) == text
        {
            return date
        }
        throw APIError.invalid("\(param) must be a date written YYYY-MM-DD", param: param)
    }

    static func format(_ day: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    private static func adding(days: Int, to day: Date) -> Date {
        calendar.date(byAdding: .day, value: days, to: day)!
    }
}
