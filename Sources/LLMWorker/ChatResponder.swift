import Cache
import Contracts
import Foundation
import LLM
import Logging
import Messaging
import Synchronization
import WorkerRuntime

/// Answers `chat.v1` RPC requests (the gateway's `/v1/chat/completions`): budget check,
/// the provider chain through `ChatRouter`, chunks relayed as they stream, the whole
/// completion as the final reply; every failure as an `RPCFailure` the gateway maps
/// to an HTTP error.
struct ChatResponder: Sendable {
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

    func answer(_ request: Delivery, replies: RPCServer.Replies) async -> RPCServer.Reply {
        let received = ContinuousClock.now
        let call: ChatCall
        do {
            call = try Self.decoder.decode(ChatCall.self, from: request.body)
        } catch {
            return Self.failure("invalid", "the body is not a chat.v1 request: \(error)")
        }
        guard let router else {
            return Self.failure(
                ChatFailureCode.noProvider,
                "no LLM provider is configured (set MEMGRID_LLM_PROVIDERS_FILE or MEMGRID_LLM_PROVIDERS; see docs/llm.md)")
        }
        let metered: LLMMetering.Call
        do {
            metered = try await metering.begin(
                call.request, router: router, tenantID: call.tenantID, jobID: request.properties.correlationID, purpose: "chat",
                memoryTokens: call.memoryTokens ?? 0)
        } catch let exceeded as BudgetGuard.Exceeded {
            return Self.failure(ChatFailureCode.budgetExceeded, exceeded.description)
        } catch let busy as TenantSlots.Busy {
            return Self.failure(ChatFailureCode.tenantBusy, busy.description)
        } catch let error as LLMError {
            return Self.failure(Self.code(for: error), error.tenantMessage)
        } catch {
            return Self.failure("unavailable", "could not check the tenant's budget; try again")
        }
        let peak = inFlight.enter()
        defer { inFlight.leave() }
        do {
            let routed: RoutedCompletion
            if metered.request.stream == true {
                let (cancellations, callID, interval) = (cancellations, request.properties.messageID, cancellationCheck)
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
                    try await replies.send(.init(type: ChatCall.chunkType, body: try Self.encoder.encode(chunk)))
                }
            } else {
                routed = try await router.complete(metered.request, meter: metered.meter)
            }
            await metering.end(metered)
            let reply = RPCServer.Reply(type: ChatCall.completionType, body: try Self.encoder.encode(routed.completion))
            observer?.callFinished(overhead: ContinuousClock.now - received - routed.providerTime, inFlight: peak)
            return reply
        } catch is ClientGone {
            await metering.end(metered)
            logger.info("chat stream stopped: its client went away", metadata: ["tenant.id": "\(call.tenantID)"])
            return Self.failure("cancelled", "the client went away")
        } catch let error as LLMError {
            await metering.end(metered)
            logger.info("chat call failed", metadata: ["error": "\(error)", "tenant.id": "\(call.tenantID)"])
            return Self.failure(Self.code(for: error), error.tenantMessage)
        } catch {
            await metering.end(metered)
            logger.error("chat call failed", metadata: ["error": "\(error)", "tenant.id": "\(call.tenantID)"])
            return Self.failure("internal", "the chat call failed inside memgrid")
        }
    }

    // Shared by every call: decoding and encoding hold no state between calls.
    private static let decoder = WireJSON.decoder()
    private static let encoder = JSONEncoder()

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

    static func failure(_ code: String, _ message: String) -> RPCServer.Reply {
        let body = (try? WireJSON.encoder().encode(RPCFailure(code: code, message: message))) ?? Data()
        return RPCServer.Reply(type: RPCFailure.type, body: body)
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
