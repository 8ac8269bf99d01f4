import Contracts
import LLM
import Storage
import Synchronization
import WorkerRuntime

/// What every LLM call of the worker goes through: its cost ceiling reserved in the
/// tenant's budgets before (`begin`), the usage row and the budget charge after each
/// attempt, and the reservation settled with the real cost at the end (`end`).
struct LLMMetering: Sendable {
    let usage: UsageMeter
    let budgets: BudgetGuard
    /// Calls one tenant may have running in this worker process at once, so that one
    /// tenant's burst cannot take every slot (`max_concurrency`) of a provider.
    let slots: TenantSlots

    /// One call under way: the request bounded by its ceiling (`max_tokens`), and the
    /// meter to hand the router.
    struct Call: Sendable {
        let request: ChatRequest
        let meter: @Sendable (CallRecord) async -> Void
        fileprivate let tenantID: String
        fileprivate let reservation: BudgetLedger.Reservation
        fileprivate let spent: CostTally
    }

    /// Takes one of the tenant's slots and reserves the call's ceiling; throws `LLMError`
    /// for a request no model may take (`max_tokens` above the model's),
    /// `TenantSlots.Busy`, `BudgetGuard.Exceeded` or `.Unavailable`. `memoryTokens` of
    /// the prompt are memories memgrid injected, metered apart on each answered attempt.
    func begin(
        _ request: ChatRequest, router: ChatRouter, tenantID: String, jobID: String?, purpose: String, memoryTokens: Int = 0
    ) async throws -> Call {
        let ceiling = try CostCeiling(for: request, configuration: router.configuration)
        try slots.take(tenantID)
        let reservation: BudgetLedger.Reservation
        do {
            reservation = try await budgets.reserve(tenantID: tenantID, costUSD: ceiling.costUSD)
        } catch {
            slots.release(tenantID)
            throw error
        }
        let spent = CostTally()
        let bill = meter(tenantID: tenantID, jobID: jobID, purpose: purpose, memoryTokens: memoryTokens)
        return Call(
            request: ceiling.bounded(request),
            meter: { record in
                spent.add(record.costUSD)
                await bill(record)
            },
            tenantID: tenantID, reservation: reservation, spent: spent)
    }

    /// Settles the call's reservation with what its attempts cost.
    func end(_ call: Call) async {
        slots.release(call.tenantID)
        await budgets.settle(call.reservation, tenantID: call.tenantID, costUSD: call.spent.total)
    }

    /// A meter for `ChatRouter` that bills `tenantID` for each attempt.
    private func meter(tenantID: String, jobID: String?, purpose: String, memoryTokens: Int) -> @Sendable (CallRecord) async -> Void {
        { [usage, budgets] record in
            usage.record(UsageRepository.Call(
                tenantID: tenantID, jobID: jobID, purpose: purpose, provider: record.provider, model: record.model,
                promptTokens: record.promptTokens, completionTokens: record.completionTokens, cachedTokens: record.cachedTokens,
                memoryTokens: min(memoryTokens, record.promptTokens), costUSD: record.costUSD, latencyMilliseconds: Int((record.latency / .milliseconds(1)).rounded()),
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
            let call = try await begin(request, router: router, tenantID: tenantID, jobID: jobID, purpose: purpose)
            do {
                let routed = try await router.complete(call.request, meter: call.meter)
                await end(call)
                return routed
            } catch {
                await end(call)
                throw error
            }
        } catch let exceeded as BudgetGuard.Exceeded {
            throw JobFailure.permanent(exceeded.description)
        } catch let unavailable as BudgetGuard.Unavailable {
            throw JobFailure.retryable(unavailable.description)
        } catch let busy as TenantSlots.Busy {
            throw JobFailure.retryable(busy.description, after: .seconds(1))
        } catch let error as LLMError where [.rejected, .unknownModel, .noProvider].contains(error.code) {
            throw JobFailure.permanent("llm_\(error.code): \(error.tenantMessage)")
        } catch let error as LLMError {
            // Retried. The router logged the provider's own text; a dead letter shows the tenant memgrid's words.
            throw JobFailure.retryable("llm_\(error.code): \(error.tenantMessage)", after: error.retryAfter)
        }
    }
}

/// What a call's attempts cost so far.
final class CostTally: Sendable {
    private let spent = Mutex(0.0)

    func add(_ usd: Double) {
        spent.withLock { $0 += usd }
    }

    var total: Double { spent.withLock { $0 } }
}

/// LLM calls running per tenant in this process, up to `limit` each (0: no limit).
final class TenantSlots: Sendable {
    struct Busy: Error, CustomStringConvertible {
        let limit: Int
        var description: String {
            "tenant_concurrency_exceeded: the tenant already has \(limit) LLM calls running on this worker; retry shortly"
        }
    }

    let limit: Int
    private let running = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    func take(_ tenantID: String) throws {
        guard limit > 0 else { return }
        try running.withLock { running in
            let count = running[tenantID, default: 0]
            guard count < limit else { throw Busy(limit: limit) }
            running[tenantID] = count + 1
        }
    }

    func release(_ tenantID: String) {
        guard limit > 0 else { return }
        running.withLock { running in
            let count = running[tenantID, default: 1] - 1
            running[tenantID] = count > 0 ? count : nil
        }
    }
}
