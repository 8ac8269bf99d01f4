public import Foundation

/// `proactive.reminder`: a scheduled reminder came due and fired. Published once per
/// reminder (its `id` is derived from the reminder's, so a rare re-fire after a crash
/// carries the same id and consumers deduplicate), and delivered to the tenant's webhook.
public struct ProactiveReminder: EventPayload {
    public static let type = EventCatalog.proactiveReminder

    public var reminderID: String
    public var userID: String
    public var agentID: String?
    /// The memory item the reminder was detected in, if it still exists.
    public var memoryID: String?
    /// What to remind of: the memory's text.
    public var text: String
    /// When the reminder was due; the memory's stated time less the configured lead.
    public var dueAt: Date
    /// The time the memory states (e.g. the appointment), if known.
    public var eventAt: Date?
    public var firedAt: Date
    /// Fired well after `dueAt` (the workers were down): receivers may word it as
    /// "missed" or skip it.
    public var late: Bool
    /// The user's IANA time zone, when known, for rendering `eventAt` locally.
    public var timeZone: String?

    public init(
        reminderID: String, userID: String, agentID: String? = nil, memoryID: String?, text: String,
        dueAt: Date, eventAt: Date?, firedAt: Date, late: Bool, timeZone: String? = nil
    ) {
        self.reminderID = reminderID
        self.userID = userID
        self.agentID = agentID
        self.memoryID = memoryID
        self.text = text
        self.dueAt = dueAt
        self.eventAt = eventAt
        self.firedAt = firedAt
        self.late = late
        self.timeZone = timeZone
    }

    enum CodingKeys: String, CodingKey {
        case text, late
        case reminderID = "reminder_id"
        case userID = "user_id"
        case agentID = "agent_id"
        case memoryID = "memory_id"
        case dueAt = "due_at"
        case eventAt = "event_at"
        case firedAt = "fired_at"
        case timeZone = "time_zone"
    }

    public static var schema: JSONSchema {
        .object(
            [
                "reminder_id": .identifier(),
                "user_id": .identifier(),
                "agent_id": JSONSchema.identifier().nullable(),
                "memory_id": JSONSchema.identifier().nullable(),
                "text": .string(),
                "due_at": .timestamp(),
                "event_at": JSONSchema.timestamp().nullable(),
                "fired_at": .timestamp(),
                "late": .boolean(description: "Fired well after due_at, after an outage."),
                "time_zone": JSONSchema.identifier("IANA time zone, e.g. Asia/Shanghai.").nullable(),
            ],
            required: ["reminder_id", "user_id", "text", "due_at", "fired_at", "late"])
    }
}
