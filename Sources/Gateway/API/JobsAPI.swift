import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import Storage

/// `POST /v1/memorize` (a conversation → a queued job, 202 once the broker confirmed it)
/// and `GET /v1/jobs/{id}`.
struct JobsAPI: Sendable {
    static let maxMessages = 500
    static let maxMessageCharacters = 32_768

    struct MemorizeBody: RequestBody {
        var userID: String
        var agentID: String?
        var messages: [MemorizeJob.Message]
        var resourceID: String?
        var occurredAt: Date?
        var timeZone: String?

        static let shape = JSONShape.object([
            "user_id": .value, "agent_id": .value, "resource_id": .value, "occurred_at": .value, "time_zone": .value,
            "messages": .array(.object(["role": .value, "content": .value, "created_at": .value, "name": .value, "id": .value])),
        ])

        enum CodingKeys: String, CodingKey {
            case messages
            case userID = "user_id"
            case agentID = "agent_id"
            case resourceID = "resource_id"
            case occurredAt = "occurred_at"
            case timeZone = "time_zone"
        }
    }

    /// A job as clients see it.
    struct JobView: Encodable {
        var id: String
        var object = "job"
        var type: String
        var status: String
        var attempts: Int
        var error: String?
        var result: MemorizeResult?
        var userID: String?
        var parentID: String?
        var createdAt: Date
        var updatedAt: Date
        var startedAt: Date?
        var finishedAt: Date?
        var children: [JobView]?

        init(_ record: JobRepository.Record, children: [JobRepository.Record]? = nil) {
            id = record.id
            type = record.type
            status = record.status.rawValue
            attempts = record.attempts
            error = record.error
            result = record.resultJSON.flatMap { try? WireJSON.decoder().decode(MemorizeResult.self, from: Data($0.utf8)) }
            userID = record.userID
            parentID = record.parentID
            createdAt = record.createdAt
            updatedAt = record.updatedAt
            startedAt = record.startedAt
            finishedAt = record.finishedAt
            self.children = children?.map { JobView($0) }
        }

        enum CodingKeys: String, CodingKey {
            case id, object, type, status, attempts, error, result, children
            case userID = "user_id"
            case parentID = "parent_id"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    let jobs: JobRepository
    let reads: ReadReplicas
    let submitter: JobSubmitter
    let budgets: BudgetRepository
    let maxBody: Int

    /// A tenant whose LLM budget is used up gets no new memorize jobs (docs/llm.md).
    static func requireBudget(tenantID: String, budgets: BudgetRepository, logger: Logger) async throws {
        for status in try await budgets.status(tenantID: tenantID, logger: logger) where status.isExhausted {
            throw APIError(
                status: .tooManyRequests, type: "insufficient_quota", code: ChatFailureCode.budgetExceeded,
                message: "the tenant's \(status.period.rawValue) LLM budget of $\(status.limitUSD) is used up")
        }
    }

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/memorize", use: memorize)
        router.get("/jobs/{id}", use: job)
    }

    func memorize(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let body = try await JSONBody.decode(MemorizeBody.self, from: request, limit: maxBody)
        try Self.validate(body)
        let payload = MemorizeJob(
            userID: body.userID, agentID: body.agentID, messages: body.messages, resourceID: body.resourceID,
            occurredAt: body.occurredAt, timeZone: body.timeZone)
        // The contract's own rules (message names and ids), worded as the contract words them.
        do { try payload.validate() } catch let error as ContractError {
            throw APIError.invalid("\(error.field) \(error.message)", param: error.field)
        }
        try await Self.requireBudget(tenantID: tenantID, budgets: budgets, logger: context.logger)
        let id = try await submitter.submit(
            payload, tenantID: tenantID, userID: body.userID, idempotencyKey: try request.idempotencyKey(),
            logger: context.logger)
        guard let record = try await jobs.get(id: id, tenantID: tenantID, logger: context.logger) else {
            throw APIError.internalError()
        }
        return try .json(JobView(record), status: .accepted)
    }

    func job(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        // Polls go to a replica; a job submitted a moment ago may not be there yet, so a
        // miss is asked of the primary. Another tenant's job is indistinguishable from a
        // missing one.
        let found = try await reads.read(isStale: { $0 == nil }) { client -> (JobRepository.Record, [JobRepository.Record])? in
            let jobs = JobRepository(client: client)
            guard let record = try await jobs.get(id: id, tenantID: tenantID, logger: context.logger) else { return nil }
            return (record, try await jobs.children(of: id, tenantID: tenantID, logger: context.logger))
        }
        guard let (record, children) = found else {
            throw APIError.notFound("no job with id '\(id)'", code: "job_not_found")
        }
        return try .json(JobView(record, children: children))
    }

    static func validate(_ body: MemorizeBody) throws {
        try IDRules.check(body.userID, param: "user_id")
        if let agentID = body.agentID { try IDRules.check(agentID, param: "agent_id") }
        if let resourceID = body.resourceID { try IDRules.check(resourceID, param: "resource_id") }
        if let zone = body.timeZone, TimeZone(identifier: zone) == nil {
            throw APIError.invalid("time_zone must be an IANA time zone such as Asia/Shanghai", param: "time_zone")
        }
        guard (1...maxMessages).contains(body.messages.count) else {
            throw APIError.invalid("messages must hold 1 to \(maxMessages) messages", param: "messages")
        }
        for (index, message) in body.messages.enumerated() {
            let content = message.content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !content.isEmpty, message.content.count <= maxMessageCharacters else {
                throw APIError.invalid(
                    "messages[\(index)].content must be non-empty and at most \(maxMessageCharacters) characters",
                    param: "messages[\(index)].content")
            }
        }
    }
}

/// Rules for ids clients choose (users, agents, resources): 1–256 printable characters.
enum IDRules {
    static func check(_ id: String, param: String) throws {
        guard (1...256).contains(id.count), !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.invalid("\(param) must be 1 to 256 printable characters", param: param)
        }
    }
}
