import Contracts
import Foundation
import Logging
import Messaging
import Storage
import WorkerRuntime

/// Hands an event to the tenant's webhook when it subscribed to the event's type: a
/// `webhook.v1` job whose id derives from the event's, so a redelivered event queues it
/// once.
struct WebhookFanout: Sendable {
    let webhooks: WebhookRepository
    let publisher: Publisher
    let topology: Topology

    func deliver<Payload: EventPayload>(_ event: EventEnvelope<Payload>, logger: Logger) async throws {
        guard try await StorageFailure.classifying({
            try await webhooks.subscribes(tenantID: event.tenantID, to: event.type, logger: logger)
        }) else { return }
        let body = try WireJSON.decoder().decode(JSONValue.self, from: try WireJSON.encoder().encode(event))
        let job = JobEnvelope(id: "\(event.id):webhook", tenantID: event.tenantID, trace: TraceContext.current ?? event.trace, payload: WebhookJob(event: body))
        try await publisher.publish(try OutgoingMessage.job(job, topology: topology))
    }
}

/// `memory.updated`, `memory.superseded`, `memory.deleted`: the user's summaries of the
/// item's categories are refreshed (debounced, as for new memories), and subscribed
/// webhooks get the event.
struct MemoryChangedHandler<Payload: EventPayload & MemoryChange>: EventHandler {
    let refreshes: SummaryRefreshRepository
    let fanout: WebhookFanout
    let configuration: ProactiveWorkerApp.Configuration
    let clock: any WallClock

    func handle(_ event: EventEnvelope<Payload>, context: JobContext) async throws {
        let memory = event.payload.memory
        try await StorageFailure.classifying {
            try await refreshes.touch(
                tenantID: event.tenantID, userID: memory.userID, categories: memory.categories, now: clock.now(),
                window: configuration.summaryDebounce, maxDelay: configuration.summaryMaxDelay, logger: context.logger)
        }
        try await fanout.deliver(event, logger: context.logger)
    }
}

/// `user.erased`: only subscribed webhooks care.
struct UserErasedHandler: EventHandler {
    let fanout: WebhookFanout

    func handle(_ event: EventEnvelope<UserErased>, context: JobContext) async throws {
        try await fanout.deliver(event, logger: context.logger)
    }
}

/// A change event about one memory item.
protocol MemoryChange {
    var memory: MemoryRef { get }
}

extension MemoryUpdated: MemoryChange {}
extension MemorySuperseded: MemoryChange {}
extension MemoryDeleted: MemoryChange {}
