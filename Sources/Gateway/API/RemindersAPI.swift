import Foundation
import Hummingbird
import Storage

/// Reminders the proactive agent scheduled from a user's event memories
/// (docs/proactive.md): list a user's, cancel one that has not fired yet.
struct RemindersAPI: Sendable {
    static let maxPageSize = 100
    static let defaultPageSize = 20

    /// A reminder as clients see it.
    struct View: Encodable {
        var id: String
        var object = "reminder"
        var userID: String
        var agentID: String?
        var memoryID: String?
        var text: String
        var state: String
        var dueAt: Date
        var eventAt: Date?
        var timeZone: String?
        /// Fired well after `due_at` (the workers were down).
        var late: Bool
        var firedAt: Date?
        var createdAt: Date

        init(_ reminder: ReminderRepository.Reminder) {
            id = reminder.id
            userID = reminder.userID
            agentID = reminder.agentID
            memoryID = reminder.memoryID
            text = reminder.text
            state = reminder.state.rawValue
            dueAt = reminder.dueAt
            eventAt = reminder.eventAt
            timeZone = reminder.timeZone
            late = reminder.late
            firedAt = reminder.firedAt
            createdAt = reminder.createdAt
        }

        enum CodingKeys: String, CodingKey {
            case id, object, text, state, late
            case userID = "user_id"
            case agentID = "agent_id"
            case memoryID = "memory_id"
            case dueAt = "due_at"
            case eventAt = "event_at"
            case timeZone = "time_zone"
            case firedAt = "fired_at"
            case createdAt = "created_at"
        }
    }

    let reminders: ReminderRepository

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/users/{user_id}/reminders", use: list)
        router.delete("/reminders/{id}", use: cancel)
    }

    /// `GET /v1/users/{user_id}/reminders?state=…&limit=…`: by due time, soonest first.
    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let userID = try context.parameters.require("user_id")
        try IDRules.check(userID, param: "user_id")
        let query = try request.formQuery()
        let state = try query.get("state").map { text in
            guard let state = ReminderRepository.State(rawValue: text) else {
                throw APIError.invalid(
                    "state must be one of \(ReminderRepository.State.allCases.map(\.rawValue).joined(separator: ", "))",
                    param: "state")
            }
            return state
        }
        let limit = try query.get("limit").map { text in
            guard let limit = Int(text), (1...Self.maxPageSize).contains(limit) else {
                throw APIError.invalid("limit must be between 1 and \(Self.maxPageSize)", param: "limit")
            }
            return limit
        } ?? Self.defaultPageSize
        // One more than asked says whether there are more.
        let found = try await reminders.list(
            tenantID: tenantID, userID: userID, state: state, limit: limit + 1, logger: context.logger)
        return try .json(ListBody(data: found.prefix(limit).map(View.init), hasMore: found.count > limit))
    }

    /// `DELETE /v1/reminders/{id}`: a scheduled reminder becomes `cancelled` and never
    /// fires; one that is firing, fired or failed is a 409.
    func cancel(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        guard let reminder = try await reminders.cancel(id: id, tenantID: tenantID, logger: context.logger) else {
            throw APIError.notFound("no reminder with id '\(id)'", code: "reminder_not_found")
        }
        // `cancel` returns the row unchanged when it was no longer scheduled. An already
        // cancelled one answers 200 again, so a DELETE retried after a lost answer succeeds.
        guard reminder.state == .cancelled else {
            throw APIError(
                status: .conflict, type: "invalid_request_error", code: "reminder_not_cancellable",
                message: "the reminder is \(reminder.state.rawValue); only a scheduled reminder can be cancelled")
        }
        return try .json(View(reminder))
    }
}
