import Backfill
import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import Storage

/// `POST /v1/backfills` (admin: inline items → embed jobs, 202 once the broker confirmed
/// every chunk) and `GET /v1/backfills/{id}` (progress from the checkpoints). Larger
/// backfills use `memgrid backfill`, which adds backpressure; see docs/backfill.md.
struct BackfillsAPI: Sendable {
    static let scope = "admin"
    static let maxItems = 10_000

    struct PostBody: RequestBody {
        var id: String?
        var chunkSize: Int?
        var items: [Item]

        struct Item: Decodable {
            var id: String
            var text: String
            var userID: String?
            var metadata: [String: String]?

            enum CodingKeys: String, CodingKey {
                case id, text, metadata
                case userID = "user_id"
            }
        }

        static let shape = JSONShape.object([
            "id": .value, "chunk_size": .value,
            "items": .array(.object(["id": .value, "text": .value, "user_id": .value, "metadata": .value])),
        ])

        enum CodingKeys: String, CodingKey {
            case id, items
            case chunkSize = "chunk_size"
        }
    }

    struct View: Encodable {
        var object = "backfill"
        var id: String
        /// `publishing`, `published` or `completed`.
        var state: String
        var source: String
        var chunkSize: Int
        var chunks: Int
        var totalItems: Int?
        var doneItems: Int
        var cachedItems: Int
        var deadLetteredItems: Int
        var pendingItems: Int
        var invalidItems: Int
        var rejections: [BackfillRejection]
        var createdAt: Date
        var updatedAt: Date

        init(_ progress: BackfillRepository.Progress) {
            id = progress.definition.id
            state = progress.state
            source = progress.definition.source
            chunkSize = progress.definition.chunkSize
            chunks = progress.chunks
            totalItems = progress.totalItems
            doneItems = progress.doneItems
            cachedItems = progress.cachedItems
            deadLetteredItems = progress.deadLetteredItems
            pendingItems = progress.pendingItems
            invalidItems = progress.invalidItems
            rejections = (try? JSONDecoder().decode([BackfillRejection].self, from: Data(progress.invalidSamplesJSON.utf8))) ?? []
            createdAt = progress.createdAt
            updatedAt = progress.updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case object, id, state, source, chunks, rejections
            case chunkSize = "chunk_size"
            case totalItems = "total_items"
            case doneItems = "done_items"
            case cachedItems = "cached_items"
            case deadLetteredItems = "dead_lettered_items"
            case pendingItems = "pending_items"
            case invalidItems = "invalid_items"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    let backfills: BackfillRepository
    let publisher: Publisher
    let topology: Topology
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/backfills", use: create)
        router.get("/backfills/{id}", use: get)
    }

    func create(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID(requiring: Self.scope)
        let body = try await JSONBody.decode(PostBody.self, from: request, limit: maxBody)
        let items = try Self.validate(body)
        let chunkSize = body.chunkSize ?? 256
        let source = InlineSource(items: items, description: "inline:\(BackfillItem.digest(items).prefix(32))")
        let id = body.id ?? BackfillRunner.defaultID(source: source, chunkSize: chunkSize)
        let runner = BackfillRunner(
            configuration: .init(
                tenantID: tenantID, backfillID: id, chunkSize: chunkSize, maxInFlight: nil, maxQueueDepth: nil,
                waitForCompletion: false),
            repository: backfills, publisher: publisher, admin: nil, topology: topology, logger: context.logger)
        do {
            _ = try await runner.run(source: source)
        } catch let error as BackfillError where error.code == .conflict || error.code == .sourceChanged {
            throw APIError(
                status: .conflict, type: "invalid_request_error", code: "backfill_conflict",
                message: "backfill '\(id)' exists with other items or another chunk size; use another id", param: "id")
        } catch let error as BrokerError {
            context.logger.warning("backfill publish not confirmed", metadata: ["backfill.id": "\(id)", "error": "\(error)"])
            throw APIError.unavailable(
                "the job queue is unavailable; repeat the request to publish the remaining chunks", code: "broker_unavailable",
                retryAfter: 5)
        }
        guard let progress = try await backfills.progress(tenantID: tenantID, backfillID: id, logger: context.logger) else {
            throw APIError.internalError()
        }
        context.logger.info("backfill published", metadata: ["backfill.id": "\(id)", "backfill.items": "\(items.count)"])
        return try .json(View(progress), status: .accepted)
    }

    func get(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        // Another tenant's backfill is indistinguishable from a missing one.
        guard let progress = try await backfills.progress(tenantID: tenantID, backfillID: id, logger: context.logger) else {
            throw APIError.notFound("no backfill with id '\(id)'", code: "backfill_not_found")
        }
        return try .json(View(progress))
    }

    /// Every item must be embeddable: an inline backfill is all or nothing, so the client
    /// fixes the named item and sends the request again.
    static func validate(_ body: PostBody) throws -> [BackfillItem] {
        if let id = body.id, !BackfillRunner.isValidID(id) {
            throw APIError.invalid("id must be 1 to 128 letters, digits, '-', '_' or '.'", param: "id")
        }
        if let chunkSize = body.chunkSize, !(1...EmbedJob.maxItems).contains(chunkSize) {
            throw APIError.invalid("chunk_size must be 1 to \(EmbedJob.maxItems)", param: "chunk_size")
        }
        guard (1...maxItems).contains(body.items.count) else {
            throw APIError.invalid("items must hold 1 to \(maxItems) items; use memgrid backfill for more", param: "items")
        }
        var seen: [String: Int] = [:]
        return try body.items.enumerated().map { index, input in
            let item = BackfillItem(id: input.id, text: input.text, userID: input.userID, metadata: input.metadata)
            if let problem = item.problem {
                throw APIError.invalid("items[\(index)]: \(problem.message)", param: "items[\(index)].\(problem.field)")
            }
            if let first = seen.updateValue(index, forKey: item.id) {
                throw APIError.invalid("items[\(index)].id repeats items[\(first)].id", param: "items[\(index)].id")
            }
            return item
        }
    }
}
