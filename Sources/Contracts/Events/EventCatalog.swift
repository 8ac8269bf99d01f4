/// The events memgrid publishes on the events exchange.
public enum EventCatalog {
    /// A job finished successfully and its result is durable.
    public static let jobCompleted = EventType(name: "job.completed", version: 1)
    /// A job ended in a dead-letter queue and will not be retried by itself.
    public static let jobDeadLettered = EventType(name: "job.dead_lettered", version: 1)
    /// An embed job stored its vectors.
    public static let embeddingCompleted = EventType(name: "embedding.completed", version: 1)
    /// A memory item was created (memorize, or a direct add through the API).
    public static let memoryCreated = EventType(name: "memory.created", version: 1)
    /// A memory item was edited.
    public static let memoryUpdated = EventType(name: "memory.updated", version: 1)
    /// A newer fact replaced a memory item (which is kept, closed).
    public static let memorySuperseded = EventType(name: "memory.superseded", version: 1)
    /// A memory item was deleted, expired or merged into a duplicate.
    public static let memoryDeleted = EventType(name: "memory.deleted", version: 1)
    /// Everything held for one user was erased.
    public static let userErased = EventType(name: "user.erased", version: 1)

    /// A tenant's LLM spend crossed its budget's alert threshold or limit.
    public static let budgetAlert = EventType(name: "budget.alert", version: 1)

    /// A scheduled reminder came due (proactive agent).
    public static let proactiveReminder = EventType(name: "proactive.reminder", version: 1)

    public static let all: [EventType] = [
        jobCompleted, jobDeadLettered, embeddingCompleted, memoryCreated, memoryUpdated, memorySuperseded, memoryDeleted,
        userErased, budgetAlert, proactiveReminder,
    ]

    /// What a tenant's webhook may subscribe to (`PUT /v1/webhook` `events`).
    public static let webhookEvents: [EventType] = [
        proactiveReminder, memoryCreated, memoryUpdated, memorySuperseded, memoryDeleted, userErased,
    ]

    /// The payload type of each event type, in the order of `all`.
    public static var payloads: [any EventPayload.Type] {
        [
            JobCompleted.self, JobDeadLettered.self, EmbeddingCompleted.self, MemoryCreated.self, MemoryUpdated.self,
            MemorySuperseded.self, MemoryDeleted.self, UserErased.self, BudgetAlert.self, ProactiveReminder.self,
        ]
    }
}
