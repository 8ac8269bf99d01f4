import Contracts
import LLM
import Storage
import WorkerRuntime

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

    /// One metered completion for a job. A used-up budget and a request the providers
    /// reject are permanent failures (retrying cannot help); the rest is retried. Failure
    /// texts reach the tenant (dead letters): `LLMError.tenantMessage`.
    func complete(
        _ request: ChatRequest, router: ChatRouter, tenantID: String, jobID: String, purpose: String
    ) async throws -> RoutedCompletion {
        do {
            try await budgets.check(tenantID: tenantID)
        } catch let exceeded as BudgetGuard.Exceeded {
            throw JobFailure.permanent(exceeded.description)
        }
        do {
            return try await router.complete(request, meter: meter(tenantID: tenantID, jobID: jobID, purpose: purpose))
        } catch let error as LLMError where [.rejected, .unknownModel, .noProvider].contains(error.code) {
            throw JobFailure.permanent("llm_\(error.code): \(error.tenantMessage)")
        } catch let error as LLMError {
            // Retried. The router logged the provider's own text; a dead letter shows the tenant memgrid's words.
            throw JobFailure.retryable("llm_\(error.code): \(error.tenantMessage)", after: error.retryAfter)
        }
    }
}
