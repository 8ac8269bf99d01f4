import Contracts
import Foundation

/// Fixed wire samples: every optional field set (so the schema checks see every
/// property), plus minimal variants that pin what absent optionals look like.
enum Samples {
    static func date(_ text: String) -> Date {
        guard let date = WireJSON.parse(text) else { fatalError("bad sample date \(text)") }
        return date
    }

    static let trace = TraceContext(
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "memgrid=gw")
    static let tenant = "tenant-acme"
    static let embedJobID = "01JQ8Z7X4M2V9K3T6R5B1N0C8D"
    static let memorizeJobID = "01JQ8Z7X4M2V9K3T6R5B1N0C8E"

    static let embed = JobEnvelope(
        id: embedJobID,
        tenantID: tenant,
        createdAt: date("2026-03-14T09:26:53.589Z"),
        trace: trace,
        payload: EmbedJob(
            space: "minilm-l6-v2.r1.384",
            items: [
                .init(
                    target: .init(kind: .document, id: "doc-42"),
                    text: "Café menu: espresso €2.50, see https://example.com/menu",
                    metadata: ["lang": "en", "source": "crm"]),
                .init(target: .init(kind: .memoryItem, id: "mem-7"), text: "User prefers tea over coffee."),
            ]))

    static let memorize = JobEnvelope(
        id: memorizeJobID,
        tenantID: tenant,
        attempt: 2,
        createdAt: date("2026-03-14T09:27:00.000Z"),
        trace: trace,
        payload: MemorizeJob(
            userID: "user-123",
            agentID: "agent-support",
            messages: [
                .init(role: .user, content: "I moved to Berlin last month.", createdAt: date("2026-03-14T09:25:10.250Z"), name: "Ana", id: "msg-1"),
                .init(role: .assistant, content: "Noted! How do you like Berlin?"),
            ],
            resourceID: "conv-9f1",
            occurredAt: date("2026-03-14T09:25:00.000Z"),
            timeZone: "Europe/Berlin"))

    static let memorizeMinimal = JobEnvelope(
        id: "01JQ8Z7X4M2V9K3T6R5B1N0C8F",
        tenantID: tenant,
        createdAt: date("2026-03-14T09:28:00.001Z"),
        payload: MemorizeJob(userID: "user-123", messages: [.init(role: .user, content: "Remind me to call Ana.")]))

    static let jobCompleted = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000001",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:27:04.120Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: JobCompleted(
            jobID: memorizeJobID, jobType: "memorize.v1", attempts: 2, summary: ["memories_created": "2"]))

    static let jobDeadLettered = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000002",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:26:54.002Z"),
        correlationID: embedJobID,
        trace: trace,
        payload: JobDeadLettered(
            jobID: embedJobID, jobType: "embed.v1", queue: .embed, reason: .invalid,
            error: "payload.items[0].text: must not be empty", attempts: 1))

    static let embeddingCompleted = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000003",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:26:53.981Z"),
        correlationID: embedJobID,
        trace: trace,
        payload: EmbeddingCompleted(jobID: embedJobID, space: "minilm-l6-v2.r1.384", count: 2, cached: 1))

    static let memoryCreated = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000004",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:27:03.877Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: MemoryCreated(
            memoryID: "mem-8", userID: "user-123", agentID: "agent-support", memoryType: "event",
            categories: ["home", "travel"]))

    static let memoryCreatedMinimal = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000005",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:27:03.878Z"),
        payload: MemoryCreated(memoryID: "mem-9", userID: "user-123", memoryType: "profile", categories: []))

    static let memoryUpdated = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000006",
        tenantID: tenant,
        occurredAt: date("2026-03-14T10:02:11.305Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: MemoryUpdated(
            memory: MemoryRef(memoryID: "mem-8", userID: "user-123", agentID: "agent-support", memoryType: "event", categories: ["home", "travel"]),
            changed: ["text", "metadata"]))

    static let memorySuperseded = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000007",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:27:03.879Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: MemorySuperseded(
            memory: MemoryRef(memoryID: "mem-3", userID: "user-123", agentID: "agent-support", memoryType: "profile", categories: ["location"]),
            supersededBy: "mem-8", validUntil: date("2026-03-14T09:26:50.000Z")))

    static let memoryDeleted = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000008",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:00:01.420Z"),
        correlationID: "consolidate:2026-03-14T09:00:00Z:tenant-acme:user-123",
        trace: trace,
        payload: MemoryDeleted(
            memory: MemoryRef(memoryID: "mem-5", userID: "user-123", agentID: "agent-support", memoryType: "knowledge", categories: ["food"]),
            reason: .consolidated, mergedInto: "mem-2"))

    static let userErased = EventEnvelope(
        id: "evt-01JQ8Z9A0000000000000009",
        tenantID: tenant,
        occurredAt: date("2026-03-14T11:45:30.002Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: UserErased(userID: "user-123", removed: {
            var removed = UserErased.Removed()
            (removed.memories, removed.messages, removed.vectors, removed.reminders) = (17, 240, 257, 2)
            (removed.categories, removed.documents, removed.jobs, removed.history, removed.cacheEntries) = (5, 1, 12, 31, 250)
            return removed
        }()))

    static let budgetAlert = EventEnvelope(
        id: "budget-alert:tenant-acme:month:2026-03-01:0.8",
        tenantID: tenant,
        occurredAt: date("2026-03-14T09:27:04.001Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: BudgetAlert(period: "month", periodStart: "2026-03-01", limitUSD: 50, spentUSD: 40.125, threshold: 0.8))

    static let summarize = JobEnvelope(
        id: "summarize:5f1c0a9e2b7d4c3a8e6f1b2d:1773480424001:0",
        tenantID: tenant,
        createdAt: date("2026-03-14T09:27:04.001Z"),
        trace: trace,
        payload: SummarizeJob(userID: "user-123", categories: ["health", "schedule"]))

    static let consolidate = JobEnvelope(
        id: "consolidate:2026-03-14T09:00:00Z:tenant-acme:user-123",
        tenantID: tenant,
        createdAt: date("2026-03-14T09:00:00.250Z"),
        trace: trace,
        payload: ConsolidateJob(userID: "user-123", threshold: 0.92))

    static let proactiveReminder = EventEnvelope(
        id: "mem-7:reminder:proactive.reminder",
        tenantID: tenant,
        occurredAt: date("2026-03-15T07:00:00.412Z"),
        correlationID: memorizeJobID,
        trace: trace,
        payload: ProactiveReminder(
            reminderID: "mem-7:reminder", userID: "user-123", agentID: "agent-support", memoryID: "mem-7",
            text: "Has a dentist appointment on 2026-03-15 at 15:00", dueAt: date("2026-03-15T07:00:00.000Z"),
            eventAt: date("2026-03-15T07:00:00.000Z"), firedAt: date("2026-03-15T07:00:00.412Z"), late: false,
            timeZone: "Asia/Shanghai"))

    static let webhook = JobEnvelope(
        id: "mem-7:reminder:proactive.reminder:webhook",
        tenantID: tenant,
        createdAt: date("2026-03-15T07:00:00.412Z"),
        trace: trace,
        payload: WebhookJob(event: .object([
            "id": .string("mem-7:reminder:proactive.reminder"), "type": .string("proactive.reminder"), "version": .integer(1),
            "tenant_id": .string(tenant), "occurred_at": .string("2026-03-15T07:00:00.412Z"),
            "correlation_id": .string(memorizeJobID),
            "trace": .object(["traceparent": .string(trace.traceparent), "tracestate": .string("memgrid=gw")]),
            "payload": .object(["reminder_id": .string("mem-7:reminder"), "user_id": .string("user-123")]),
        ])))
}
