import Contracts
import Foundation
import Hummingbird
import Memory
import Storage

/// Memory items of a user: add one directly, list (cursor pages, filters), get, its
/// history, edit (re-embeds), delete one, purge all of a user's.
struct MemoriesAPI: Sendable {
    static let maxPageSize = 100
    static let maxTextCharacters = 8192

    struct PatchBody: RequestBody {
        var text: String?
        var type: String?
        var categories: [String]?
        /// Absent: unchanged; `null`: cleared.
        var happenedAt: Date??
        /// Replaces the whole object; `null` clears it.
        var metadata: [String: JSONValue]?

        static let shape = JSONShape.object([
            "text": .value, "type": .value, "categories": .value, "happened_at": .value, "metadata": .value,
        ])

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try container.decodeIfPresent(String.self, forKey: .text)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            categories = try container.decodeIfPresent([String].self, forKey: .categories)
            if container.contains(.happenedAt) {
                happenedAt = .some(try container.decodeNil(forKey: .happenedAt) ? nil : try container.decode(Date.self, forKey: .happenedAt))
            }
            if container.contains(.metadata) {
                metadata = try container.decodeNil(forKey: .metadata) ? [:] : try container.decode([String: JSONValue].self, forKey: .metadata)
            }
        }

        enum CodingKeys: String, CodingKey {
            case text, type, categories, metadata
            case happenedAt = "happened_at"
        }
    }

    struct AddBody: RequestBody {
        var userID: String
        var agentID: String?
        var text: String
        var type: String?
        var categories: [String]?
        var happenedAt: Date?
        var metadata: [String: JSONValue]?

        static let shape = JSONShape.object([
            "user_id": .value, "agent_id": .value, "text": .value, "type": .value, "categories": .value, "happened_at": .value,
            "metadata": .value,
        ])

        enum CodingKeys: String, CodingKey {
            case text, type, categories, metadata
            case userID = "user_id"
            case agentID = "agent_id"
            case happenedAt = "happened_at"
        }
    }

    struct VersionView: Encodable {
        var object = "memory.version"
        var memoryID: String
        var action: String
        var text: String
        var at: Date
        var jobID: String?
        var requestID: String?
        var relatedID: String?

        init(_ version: MemoryHistoryRepository.Version) {
            memoryID = version.itemID
            action = version.action.rawValue
            text = version.text
            at = version.at
            jobID = version.jobID
            requestID = version.requestID
            relatedID = version.relatedID
        }

        enum CodingKeys: String, CodingKey {
            case object, action, text, at
            case memoryID = "memory_id"
            case jobID = "job_id"
            case requestID = "request_id"
            case relatedID = "related_id"
        }
    }

    struct Deleted: Encodable {
        var id: String
        var object = "memory.deleted"
        var deleted = true
    }

    struct Purged: Encodable {
        var userID: String
        var object = "memory.purged"
        var deleted: Int
        enum CodingKeys: String, CodingKey { case object, deleted, userID = "user_id" }
    }

    struct Updated: Encodable {
        var memory: MemoryView
        /// The job re-embedding the new text, when the text changed.
        var embeddingJobID: String?
        enum CodingKeys: String, CodingKey { case memory, embeddingJobID = "embedding_job_id" }
    }

    /// Writes, one memory and its history: a client reads back what it just changed.
    let memories: MemoryRepository
    let history: MemoryHistoryRepository
    /// Listings.
    let reads: ReadReplicas
    let submitter: JobSubmitter
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/memories", use: add)
        router.get("/memories/{id}/history", use: versions)
        router.get("/memories", use: list)
        router.delete("/memories", use: purge)
        router.get("/memories/{id}", use: get)
        router.patch("/memories/{id}", use: update)
        router.delete("/memories/{id}", use: delete)
    }

    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let query = try request.formQuery()
        let userID = try requireUser(query)
        let paging = try PageQuery(query, maxPageSize: Self.maxPageSize)
        let filters = MemoryFilters(
            types: Self.nonEmpty(query.getAll("type")),
            categories: Self.nonEmpty(query.getAll("category")),
            since: try date(query.get("since"), param: "since"),
            until: try date(query.get("until"), param: "until"),
            asOf: try date(query.get("as_of"), param: "as_of"),
            includeSuperseded: try query.get("include_superseded").map { text in
                guard let flag = Bool(text) else { throw APIError.invalid("include_superseded must be true or false", param: "include_superseded") }
                return flag
            },
            metadata: try query.get("metadata").map { try MemoryMetadata.parse(query: $0, param: "metadata") })
        let agentID = query.get("agent_id")
        if let agentID { try IDRules.check(agentID, param: "agent_id") }
        let filter = try filters.repositoryFilter(agentID: agentID, params: ("type", "since", "metadata"))
        let page = try await reads.read { client in
            try await MemoryRepository(client: client).list(
                tenantID: tenantID, userID: userID, filter: filter, after: paging.cursor, limit: paging.limit, logger: context.logger)
        }
        return try .json(ListBody(
            data: page.items.map { MemoryView($0) }, nextCursor: page.next.map(PageQuery.encode), hasMore: page.next != nil))
    }

    func get(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        guard let item = try await memories.get(id: id, tenantID: tenantID, logger: context.logger) else { throw notFound(id) }
        return try .json(MemoryView(item))
    }

    /// `POST /v1/memories`: stores a memory as given, without extraction. A text the user
    /// already has reinforces that item (200); with an `Idempotency-Key` a retry returns
    /// the same item and reinforces nothing twice.
    func add(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let body = try await JSONBody.decode(AddBody.self, from: request, limit: maxBody)
        try IDRules.check(body.userID, param: "user_id")
        if let agentID = body.agentID { try IDRules.check(agentID, param: "agent_id") }
        let type = body.type ?? MemoryType.knowledge.rawValue
        guard MemoryFilters.knownTypes.contains(type) else { throw APIError.invalid("unknown memory type '\(type)'", param: "type") }
        try Self.checkText(body.text)
        try Self.checkCategories(body.categories)
        if let metadata = body.metadata { try MemoryMetadata.check(metadata, param: "metadata") }
        let key = try request.idempotencyKey()
        // The item's source: a retry under one key is the same source, so it reinforces once.
        let source = key.map { JobSubmitter.jobID(tenantID: tenantID, idempotencyKey: $0) } ?? "req-\(UUID().uuidString.lowercased())"
        let now = Date()
        let item = MemoryRepository.NewItem(
            type: type, text: body.text, contentHash: MemoryRepository.contentHash(ofNormalized: MemoryText.normalized(body.text)),
            categories: body.categories ?? MemoryCategory.slugs(of: body.text), happenedAt: body.happenedAt,
            validFrom: body.happenedAt.map { min($0, now) } ?? now, slot: MemorySlot.of(body.text), metadata: body.metadata ?? [:])
        let recorded = try await memories.add(
            item, tenantID: tenantID, userID: body.userID, agentID: body.agentID, source: source, origin: .request(context.id),
            logger: context.logger)
        let created = recorded.sourceJobID == source
        var headers: HTTPFields = [:]
        if created {
            // Queued after the insert commits; a retry under the same key queues it again
            // (the embed job id is the same, so it is deduplicated).
            let job = try await submitter.submit(
                EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: recorded.id), text: recorded.text)]),
                tenantID: tenantID, userID: body.userID, idempotencyKey: "\(source):embed", logger: context.logger)
            headers[.init("x-memgrid-embedding-job")!] = job
        }
        var response = try Response.json(MemoryView(recorded), status: created ? .created : .ok)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// `GET /v1/memories/{id}/history`: every version, oldest first; a deleted item's too.
    func versions(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        let versions = try await history.versions(itemID: id, tenantID: tenantID, logger: context.logger)
        guard !versions.isEmpty else { throw notFound(id) }
        return try .json(ListBody(data: versions.map(VersionView.init), nextCursor: nil, hasMore: false))
    }

    func update(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(PatchBody.self, from: request, limit: maxBody)
        if let type = body.type, !MemoryFilters.knownTypes.contains(type) {
            throw APIError.invalid("unknown memory type '\(type)'", param: "type")
        }
        if let metadata = body.metadata { try MemoryMetadata.check(metadata, param: "metadata") }
        try Self.checkCategories(body.categories)
        var contentHash: String?
        if let text = body.text {
            try Self.checkText(text)
            contentHash = MemoryRepository.contentHash(ofNormalized: MemoryText.normalized(text))
        }
        let updated: MemoryRepository.Item?
        do {
            updated = try await memories.update(
                id: id, tenantID: tenantID,
                edit: .init(
                    text: body.text, contentHash: contentHash, type: body.type, categories: body.categories, happenedAt: body.happenedAt,
                    metadata: body.metadata),
                origin: .request(context.id), logger: context.logger)
        } catch let error as StorageError where error.code == .conflict {
            throw APIError(status: .conflict, type: "invalid_request_error", code: "duplicate_memory", message: error.message, param: "text")
        }
        guard let updated else { throw notFound(id) }
        var embeddingJobID: String?
        if let text = body.text {
            // Queued after the edit commits, even when the text did not change: a PATCH
            // retried after a 503 here must still re-embed.
            embeddingJobID = try await submitter.submit(
                EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: id), text: text)]),
                tenantID: tenantID, userID: updated.userID, idempotencyKey: nil, logger: context.logger)
        }
        return try .json(Updated(memory: MemoryView(updated), embeddingJobID: embeddingJobID))
    }

    func delete(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        guard try await memories.delete(id: id, tenantID: tenantID, origin: .request(context.id), logger: context.logger) else {
            throw notFound(id)
        }
        return try .json(Deleted(id: id))
    }

    /// `DELETE /v1/memories?user_id=…`: every memory of the user.
    func purge(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let userID = try requireUser(try request.formQuery())
        let count = try await memories.purge(tenantID: tenantID, userID: userID, origin: .request(context.id), logger: context.logger)
        return try .json(Purged(userID: userID, deleted: count))
    }

    /// Category names become summary jobs' identifiers and the categories listing's keys.
    /// Lengths count code points, as the OpenAPI document's JSON Schema does.
    static let maxCategories = 32
    static let maxCategoryCharacters = 64

    private static func checkCategories(_ categories: [String]?) throws {
        guard let categories else { return }
        guard categories.count <= maxCategories else {
            throw APIError.invalid("categories must hold at most \(maxCategories) names", param: "categories")
        }
        for name in categories
        where !(1...maxCategoryCharacters).contains(name.unicodeScalars.count) || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw APIError.invalid("each category must be 1 to \(maxCategoryCharacters) printable characters", param: "categories")
        }
    }

    private static func checkText(_ text: String) throws {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.count <= maxTextCharacters else {
            throw APIError.invalid("text must be non-empty and at most \(maxTextCharacters) characters", param: "text")
        }
    }

    private func requireUser(_ query: Parameters) throws -> String {
        guard let userID = query.get("user_id") else {
            throw APIError.invalid("missing required query parameter: user_id", param: "user_id", code: "missing_parameter")
        }
        try IDRules.check(userID, param: "user_id")
        return userID
    }

    private func date(_ text: String?, param: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = WireJSON.parse(text) else { throw APIError.invalid("\(param) must be an RFC 3339 timestamp", param: param) }
        return date
    }

    private func notFound(_ id: String) -> APIError {
        .notFound("no memory with id '\(id)'", code: "memory_not_found")
    }

    private static func nonEmpty(_ values: [String]) -> [String]? {
        values.isEmpty ? nil : values
    }
}
