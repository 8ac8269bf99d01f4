import LLM
import Storage

/// What every LLM call of the worker goes through: the tenant's budget before, the
/// usage row and the budget charge after each attempt.
struct LLMMetering: Sendable {
    let usage: UsageMeter
    let budgets: BudgetGuard

    /// A meter for `ChatRouter` that bills `tenantID` for each attempt.
    func meter(tenantID: String, jobID: String?, purpose: String) -> @Sendable (CallRecord) async -> Void {
        { [usage, budgets] record in
            usage.record(UsageRepository.Call(
                tenantID: tenantID, jobID: jobID, purpose: purpose, provider: record.provider, model: record.model,
                promptTokens: record.promptTokens, completionTokens: record.completionTokens, cachedTokens: record.cachedTokens,
                costUSD: record.costUSD, latencyMilliseconds: Int((record.latency / .milliseconds(1)).rounded()),
                outcome: record.outcome.rawValue, httpStatus: record.status))
            await budgets.charge(tenantID: tenantID, costUSD: record.costUSD)
        }
    }
}
