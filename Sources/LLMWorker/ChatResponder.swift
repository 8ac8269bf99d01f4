import Cache
import Contracts
import Foundation
import LLM
import Logging
import Synchronization
import WorkerRuntime

/// Answers `chat.v1` RPC requests (the gateway's `/v1/chat/completions`): budget check,
/// the provider chain through `ChatRouter`, chunks relayed as they stream, the whole
/// completion as the final reply; every failure as an `RPCFailure` the gateway maps
/// to an HTTP error.
struct ChatResponder: RPCHandler {
    /// nil when no provider is configured: every call answers `no_llm_provider`.
    let router: ChatRouter?
    let metering: LLMMetering
    /// Streams whose client went away (flagged by the gateway), looked at every `cancellationCheck`.
    let cancellations: CallCancellations
    var cancellationCheck: Duration = .milliseconds(500)
    let observer: (any LLMWorkerApp.Observer)?
    let logger: Logger
    private let inFlight = InFlightCount()

    init(
        router: ChatRouter?, metering: LLMMetering, cancellations: CallCancellations, observer: (any LLMWorkerApp.Observer)?,
        logger: Logger
    ) {
        self.router = router
        self.metering = metering
        self.cancellations = cancellations
        self.observer = observer
        self.logger = logger
    }

    func answer(_ call: ChatCall, context: RPCContext<ChatCall>) async throws(RPCFailure) -> ChatCompletion {
        let received = ContinuousClock.now
        guard let router else {
            throw RPCFailure(
                code: ChatFailureCode.noProvider,
                message: "no LLM provider is configured (set MEMGRID_LLM_PROVIDERS_FILE or MEMGRID_LLM_PROVIDERS; see docs/llm.md)")
        }
        let metered: LLMMetering.Call
        do {
            metered = try await metering.begin(
                call.request, router: router, tenantID: call.tenantID, jobID: context.correlationID, purpose: "chat",
                memoryTokens: call.memoryTokens ?? 0)
        } catch let exceeded as BudgetGuard.Exceeded {
            throw RPCFailure(code: ChatFailureCode.budgetExceeded, message: exceeded.description)
        } catch let busy as TenantSlots.Busy {
            throw RPCFailure(code: ChatFailureCode.tenantBusy, message: busy.description)
        } catch let error as LLMError {
            throw RPCFailure(code: Self.code(for: error), message: error.tenantMessage)
        } catch {
            throw RPCFailure(code: "unavailable", message: "could not check the tenant's budget; try again")
        }
        let peak = inFlight.enter()
        defer { inFlight.leave() }
        do {
            let routed: RoutedCompletion
            if metered.request.stream == true {
                let (cancellations, callID, interval) = (cancellations, context.messageID, cancellationCheck)
                let lastCheck = Mutex(ContinuousClock.now)
                // Usage is always asked of the provider, for metering; the client gets it only if it asked.
                let relaysUsage = call.request.streamOptions?.includeUsage == true
                routed = try await router.stream(metered.request, meter: metered.meter) { chunk in
                    if let callID, lastCheck.withLock({ last in
                        guard ContinuousClock.now - last >= interval else { return false }
                        last = .now
                        return true
                    }), await cancellations.isCancelled(callID) {
                        throw ClientGone()
                    }
                    guard !chunk.choices.isEmpty || relaysUsage else { return }
                    try await context.send(chunk)
                }
            } else {
                routed = try await router.complete(metered.request, meter: metered.meter)
            }
            await metering.end(metered)
            observer?.callFinished(overhead: ContinuousClock.now - received - routed.providerTime, inFlight: peak)
            return routed.completion
        } catch is ClientGone {
            await metering.end(metered)
            logger.info("chat stream stopped: its client went away", metadata: ["tenant.id": "\(call.tenantID)"])
            throw RPCFailure(code: "cancelled", message: "the client went away")
        } catch let error as LLMError {
            await metering.end(metered)
            logger.info("chat call failed", metadata: ["error": "\(error)", "tenant.id": "\(call.tenantID)"])
            throw RPCFailure(code: Self.code(for: error), message: error.tenantMessage)
        } catch {
            await metering.end(metered)
            logger.error("chat call failed", metadata: ["error": "\(error)", "tenant.id": "\(call.tenantID)"])
            throw RPCFailure(code: "internal", message: "the chat call failed inside memgrid")
        }
    }

    static func code(for error: LLMError) -> String {
        switch error.code {
        // The provider refusing memgrid's own credentials is not the caller's error.
        case .rejected where error.status == 401 || error.status == 403: ChatFailureCode.unavailable
        case .rejected: ChatFailureCode.rejected
        case .unknownModel: ChatFailureCode.unknownModel
        case .noProvider: ChatFailureCode.noProvider
        default: ChatFailureCode.unavailable
        }
    }
}

/// Calls in flight in this responder; `enter` returns the count including the new one.
private final class InFlightCount: Sendable {
    private let count = Atomic<Int>(0)
    func enter() -> Int { count.add(1, ordering: .relaxed).newValue }
    func leave() { count.subtract(1, ordering: .relaxed) }
}

/// The gateway flagged the call: nobody reads the rest of its stream.
private struct ClientGone: Error {}
