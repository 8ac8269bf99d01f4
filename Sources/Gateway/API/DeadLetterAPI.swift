import WorkerRuntime
import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import Storage

/// The tenant's dead letters (docs/api.md §6d): `GET /v1/admin/dead-letters`,
/// `GET /v1/admin/dead-letters/{message_id}`, `POST /v1/admin/dead-letters/replay` and
/// `POST /v1/admin/dead-letters/purge`, all on the dead letters recorded in PostgreSQL
/// (`DeadLetterRecorder`): no request touches a queue, so no tenant waits for another.
///
/// Admin scope, and tenant-wide like every admin route: a key sees, replays and purges
/// only the dead letters of its own tenant (the envelope's `tenant_id`, else the
/// `x-memgrid-tenant` header). A key that also has the `operator` scope (which only
/// whoever runs the deployment hands out) acts on every tenant's, and on those with no
/// tenant (a malformed body without the header); `tenant` then narrows to one.
struct DeadLetterAPI: Sendable {
    static let scope = "admin"
    static let defaultListLimit = 100
    static let maxListLimit = 1000
    static let maxActionLimit = 100_000
    static let maxMessageIDs = 1000
    /// Ten years: an age beyond that is a mistake.
    static let maxAgeSeconds = 315_360_000

    /// The body of `replay` and `purge`.
    struct SelectionBody: RequestBody {
        var queue: String?
        var reason: String?
        var tenant: String?
        var olderThan: Int?
        var newerThan: Int?
        var messageIDs: [String]?
        var limit: Int?
        var all: Bool?

        static let shape = JSONShape.object([
            "queue": .value, "reason": .value, "tenant": .value, "older_than": .value, "newer_than": .value,
            "message_ids": .array(.value), "limit": .value, "all": .value,
        ])

        enum CodingKeys: String, CodingKey {
            case queue, reason, tenant, limit, all
            case olderThan = "older_than"
            case newerThan = "newer_than"
            case messageIDs = "message_ids"
        }
    }

    /// Validated selection: which dead letters, how many.
    struct Selection {
        var filter: DeadLetterRepository.Filter
        var limit: Int?
    }

    let archive: DeadLetterArchive
    let jobs: JobRepository
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/admin/dead-letters", use: list)
        router.get("/admin/dead-letters/{message_id}", use: show)
        router.post("/admin/dead-letters/replay", use: replay)
        router.post("/admin/dead-letters/purge", use: purge)
    }

    /// `GET /v1/admin/dead-letters?queue=&reason=&tenant=&older_than=&newer_than=&limit=`
    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let caller = try Self.caller(context)
        let query = try request.formQuery()
        let selection = try selection(
            queue: query.get("queue"), reason: query.get("reason"), tenant: query.get("tenant"),
            olderThan: try query.get("older_than").map { try Self.seconds($0, param: "older_than") },
            newerThan: try query.get("newer_than").map { try Self.seconds($0, param: "newer_than") },
            messageIDs: nil,
            limit: try query.get("limit").map { try Self.integer($0, param: "limit", in: 1...Self.maxListLimit) }
                ?? Self.defaultListLimit,
            caller: caller)
        let report = try await archive.list(selection.filter, limit: selection.limit ?? Self.defaultListLimit, logger: context.logger)
        return try .json(report)
    }

    /// `GET /v1/admin/dead-letters/{message_id}`: the first recorded dead letter with
    /// this id, body included.
    func show(_ request: Request, context: GatewayContext) async throws -> Response {
        let caller = try Self.caller(context)
        let id = try context.parameters.require("message_id")
        let report = try await archive.list(
            DeadLetterRepository.Filter(messageIDs: [id], tenantID: caller.scopedTo), limit: 1, bodies: true, logger: context.logger)
        // Another tenant's dead letter is indistinguishable from a missing one.
        guard let letter = report.letters.first else {
            throw APIError.notFound("no dead letter with message id '\(id)'", code: "dead_letter_not_found")
        }
        return try .json(letter)
    }

    /// `POST /v1/admin/dead-letters/replay`: back to where each came from, same message
    /// id and body; a replayed job's status (`GET /v1/jobs/{id}`) is `queued` again.
    func replay(_ request: Request, context: GatewayContext) async throws -> Response {
        let selection = try await actionSelection(request, caller: try Self.caller(context))
        let started = Date()
        let report = try await archive.replay(selection.filter, limit: selection.limit, logger: context.logger)
        context.logger.info(
            "dead letters replayed",
            metadata: ["dead_letters.replayed": "\(report.letters.count)", "dead_letters.failed": "\(report.failures.count)"])
        do {
            try await jobs.markRequeued(
                ids: report.letters.compactMap(\.messageID), deadLetteredBefore: started, logger: context.logger)
        } catch {
            // The replay stands; only the status pages lag until the workers report.
            context.logger.warning("could not mark replayed jobs queued", metadata: ["error": "\(error)"])
        }
        return try .json(report)
    }

    /// `POST /v1/admin/dead-letters/purge`: the matching dead letters are gone; the
    /// others stay as they were.
    func purge(_ request: Request, context: GatewayContext) async throws -> Response {
        let selection = try await actionSelection(request, caller: try Self.caller(context))
        let report = try await archive.purge(selection.filter, limit: selection.limit, logger: context.logger)
        context.logger.info("dead letters purged", metadata: ["dead_letters.purged": "\(report.letters.count)"])
        return try .json(report)
    }

    /// Whose dead letters the key acts on: its tenant's, or with `operator` everyone's.
    struct Caller {
        var tenantID: String
        var operates: Bool
        /// The tenant a selection is confined to; nil for an operator.
        var scopedTo: String? { operates ? nil : tenantID }
    }

    private static func caller(_ context: GatewayContext) throws -> Caller {
        let tenantID = try context.tenantID(requiring: scope)
        return Caller(tenantID: tenantID, operates: context.principal?.scopes.contains(DashboardAPI.operatorScope) == true)
    }

    private func actionSelection(_ request: Request, caller: Caller) async throws -> Selection {
        let body = try await JSONBody.decode(SelectionBody.self, from: request, limit: maxBody)
        if let ids = body.messageIDs {
            guard (1...Self.maxMessageIDs).contains(ids.count) else {
                throw APIError.invalid("message_ids must hold 1 to \(Self.maxMessageIDs) ids", param: "message_ids")
            }
            for (index, id) in ids.enumerated() { try IDRules.check(id, param: "message_ids[\(index)]") }
        }
        if let limit = body.limit, !(1...Self.maxActionLimit).contains(limit) {
            throw APIError.invalid("limit must be between 1 and \(Self.maxActionLimit)", param: "limit")
        }
        for (value, param) in [(body.olderThan, "older_than"), (body.newerThan, "newer_than")] {
            if let value, !(1...Self.maxAgeSeconds).contains(value) {
                throw APIError.invalid("\(param) must be a whole number of seconds, 1 to \(Self.maxAgeSeconds)", param: param)
            }
        }
        let selection = try selection(
            queue: body.queue, reason: body.reason, tenant: body.tenant, olderThan: body.olderThan, newerThan: body.newerThan,
            messageIDs: body.messageIDs, limit: body.limit, caller: caller)
        let narrowed = body.queue != nil || body.reason != nil || body.olderThan != nil || body.newerThan != nil
            || body.messageIDs != nil || (caller.operates && body.tenant != nil)
        guard narrowed || body.all == true else {
            throw APIError.invalid(
                "name what to act on (queue, reason, older_than, newer_than, message_ids), or send \"all\": true",
                param: "all", code: "missing_parameter")
        }
        return selection
    }

    /// Checks the filter values and scopes them to the caller's tenant (an operator's to
    /// `tenant`, if given).
    private func selection(
        queue: String?, reason: String?, tenant: String?, olderThan: Int?, newerThan: Int?, messageIDs: [String]?,
        limit: Int?, caller: Caller
    ) throws -> Selection {
        let known = archive.topology.queues
        if let queue, !known.contains(where: { $0.rawValue == queue }) {
            throw APIError.invalid("queue must be one of \(known.map(\.rawValue).joined(separator: ", "))", param: "queue")
        }
        if let reason, !DeadLetter.reasons.contains(reason) {
            throw APIError.invalid("reason must be one of \(DeadLetter.reasons.joined(separator: ", "))", param: "reason")
        }
        if let tenant, !caller.operates, tenant != caller.tenantID {
            throw APIError.invalid(
                "tenant must be the key's own tenant: other tenants' dead letters need the operator scope", param: "tenant")
        }
        if let olderThan, let newerThan, olderThan >= newerThan {
            throw APIError.invalid("older_than must be less than newer_than, or no dead letter can match", param: "older_than")
        }
        let filter = DeadLetterRepository.Filter(
            queues: queue.map { [$0] } ?? [], reasons: reason.map { [$0] } ?? [], messageIDs: messageIDs ?? [],
            tenantID: tenant ?? caller.scopedTo, olderThan: olderThan, newerThan: newerThan)
        return Selection(filter: filter, limit: limit)
    }

    private static func seconds(_ text: String, param: String) throws -> Int {
        guard let value = Int(text), (1...maxAgeSeconds).contains(value) else {
            throw APIError.invalid("\(param) must be a whole number of seconds, 1 to \(maxAgeSeconds)", param: param)
        }
        return value
    }

    private static func integer(_ text: String, param: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalid("\(param) must be between \(range.lowerBound) and \(range.upperBound)", param: param)
        }
        return value
    }
}
