/// `budget.alert`: a tenant's LLM spend in a budget period crossed the alert threshold
/// (once per tenant, period and threshold) or the limit itself.
public struct BudgetAlert: EventPayload {
    public static let type = EventCatalog.budgetAlert

    /// `day`, `week` or `month`.
    public var period: String
    /// The period's start (UTC midnight; Monday for weeks, the 1st for months).
    public var periodStart: String
    public var limitUSD: Double
    public var spentUSD: Double
    /// The share of the limit that was crossed: the alert threshold (e.g. 0.8) or 1.
    public var threshold: Double

    public init(period: String, periodStart: String, limitUSD: Double, spentUSD: Double, threshold: Double) {
        self.period = period
        self.periodStart = periodStart
        self.limitUSD = limitUSD
        self.spentUSD = spentUSD
        self.threshold = threshold
    }

    enum CodingKeys: String, CodingKey {
        case period, threshold
        case periodStart = "period_start"
        case limitUSD = "limit_usd"
        case spentUSD = "spent_usd"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "period": .string(oneOf: ["day", "week", "month"]),
                "period_start": .string(format: "date", description: "The period's first day (UTC)."),
                "limit_usd": .number(minimum: 0),
                "spent_usd": .number(minimum: 0),
                "threshold": .number(minimum: 0),
            ],
            required: ["period", "period_start", "limit_usd", "spent_usd", "threshold"])
    }
}
