import Contracts
import Foundation
import Storage
import WorkerRuntime

/// `memory.created`: notes the user's touched categories for a debounced summary refresh,
/// schedules a reminder for an event whose stated time is still ahead, and hands the
/// event to a subscribed webhook.
struct MemoryCreatedHandler: EventHandler {
    let memories: MemoryRepository
    let reminders: ReminderRepository
    let refreshes: SummaryRefreshRepository
    let fanout: WebhookFanout
    let configuration: ProactiveWorkerApp.Configuration
    let clock: any WallClock

    func handle(_ event: EventEnvelope<MemoryCreated>, context: JobContext) async throws {
        let payload = event.payload
        let now = clock.now()
        try await StorageFailure.classifying {
            try await refreshes.touch(
                tenantID: event.tenantID, userID: payload.userID, categories: payload.categories, now: now,
                window: configuration.summaryDebounce, maxDelay: configuration.summaryMaxDelay, logger: context.logger)
            guard let reminder = try await reminder(for: event, now: now, context: context) else { return }
            try await reminders.schedule([reminder], logger: context.logger)
        }
        try await fanout.deliver(event, logger: context.logger)
    }

    /// The reminder an event memory calls for: due `reminderLead` before its stated time
    /// (at once if that is already past), none if the time itself has passed or the
    /// memory is gone.
    private func reminder(
        for event: EventEnvelope<MemoryCreated>, now: Date, context: JobContext
    ) async throws -> ReminderRepository.NewReminder? {
        guard event.payload.memoryType == "event",
              let item = try await memories.get(id: event.payload.memoryID, tenantID: event.tenantID, logger: context.logger),
              item.validUntil == nil, let eventAt = item.happenedAt, eventAt > now
        else { return nil }
        return ReminderRepository.NewReminder(
            id: "\(item.id):reminder", tenantID: item.tenantID, userID: item.userID, agentID: item.agentID,
            memoryID: item.id, text: item.text, dueAt: max(now, eventAt.addingTimeInterval(-configuration.reminderLead.timeInterval)),
            eventAt: eventAt)
    }
}
