import Contracts
import Foundation
import Hummingbird
import Logging
import Storage

/// The tenant's documents (what backfills and `embed.v1` jobs store): hybrid search across
/// the tenant, list (cursor pages, filters), get, delete.
struct DocumentsAPI: Sendable {
    static let maxTopK = 100
    static let maxPageSize = 100
    static let maxQueryCharacters = 8192

    struct SearchBody: RequestBody {
        var query: String
        var topK: Int?
        var userID: String?
        var filters: Filters?
        var explain: Bool?

        struct Filters: Decodable {
            var metadata: [String: JSONValue]?
        }

        static let shape = JSONShape.object([
            "query": .value, "top_k": .value, "user_id": .value, "filters": .object(["metadata": .value]), "explain": .value,
        ])

        enum CodingKeys: String, CodingKey {
            case query, filters, explain
            case topK = "top_k"
            case userID = "user_id"
        }
    }

    struct DocumentView: Encodable {
        var id: String
        var object = "document"
        var text: String
        var metadata: [String: JSONValue]
        var createdAt: Date
        var updatedAt: Date
        /// Search only: the fused score, and (asked for) each signal's rank and score.
        var score: Double?
        var explain: Explanation?

        struct Explanation: Encodable {
            var vector: RecallRepository.Signal?
            var lexical: RecallRepository.Signal?
        }

        init(_ document: DocumentRepository.Document, score: Double? = nil, explain: Explanation? = nil) {
            id = document.externalID
            text = document.text
            metadata = document.metadata
            createdAt = document.createdAt
            updatedAt = document.updatedAt
            self.score = score
            self.explain = explain
        }

        enum CodingKeys: String, CodingKey {
            case id, object, text, metadata, score, explain
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    struct Deleted: Encodable {
        var id: String
        var object = "document.deleted"
        var deleted = true
    }

    /// Get and delete: an integration reads back what it just wrote.
    let documents: DocumentRepository
    /// Search and listing.
    let reads: ReadReplicas
    let space: ActiveSpace
    let commonTerms: CommonTermsCache
    let embedder: QueryEmbedder
    /// How many of the index's nearest a search re-ranks by exact cosine (`MEMGRID_HNSW_EF_SEARCH`).
    let candidates: Int
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/documents/search", use: search)
        router.get("/documents", use: list)
        router.get("/documents/{id}", use: get)
        router.delete("/documents/{id}", use: delete)
    }

    /// Nearest by vector and best by words, fused by reciprocal rank (k = 20, as
    /// retrieve does), `top_k` of them.
    func search(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let body = try await JSONBody.decode(SearchBody.self, from: request, limit: maxBody)
        guard !body.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.query.count <= Self.maxQueryCharacters else {
            throw APIError.invalid("query must be non-empty and at most \(Self.maxQueryCharacters) characters", param: "query")
        }
        let topK = body.topK ?? 10
        guard (1...Self.maxTopK).contains(topK) else { throw APIError.invalid("top_k must be between 1 and \(Self.maxTopK)", param: "top_k") }
        if let userID = body.userID { try IDRules.check(userID, param: "user_id") }
        let metadata = body.filters?.metadata ?? [:]
        try MemoryMetadata.check(metadata, param: "filters.metadata")
        guard let active = try await space.current(logger: context.logger) else {
            throw APIError.unavailable("no embedding model registered yet: start an embedding worker", code: "no_embedding_space")
        }
        let vector = try await embedder.embed([body.query], space: active, tenantID: tenantID, logger: context.logger).vectors[0]
        let hits = try await reads.read { client in
            try await DocumentRepository(client: client).search(
                tenantID: tenantID, filter: .init(userID: body.userID, metadata: metadata), spaceID: active.id,
                dimensions: active.dimensions, vector: vector, text: body.query, depth: max(topK * 2, 20),
                candidates: candidates, commonTerms: commonTerms.terms(.documents, client: client, logger: context.logger),
                logger: context.logger)
        }
        func fused(_ hit: DocumentRepository.Hit) -> Double {
            [hit.vector?.rank, hit.lexical?.rank].compactMap { $0 }.reduce(0) { $0 + 1 / Double(20 + $1) }
        }
        let ranked = hits.map { ($0, fused($0)) }.sorted { ($0.1, $1.0.document.externalID) > ($1.1, $0.0.document.externalID) }
        let views = ranked.prefix(topK).map { hit, score in
            DocumentView(
                hit.document, score: score,
                explain: body.explain == true ? .init(vector: hit.vector, lexical: hit.lexical) : nil)
        }
        return try .json(ListBody(data: Array(views)))
    }

    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let query = try request.formQuery()
        let paging = try PageQuery(query, maxPageSize: Self.maxPageSize)
        let userID = query.get("user_id")
        if let userID { try IDRules.check(userID, param: "user_id") }
        let metadata = try query.get("metadata").map { try MemoryMetadata.parse(query: $0, param: "metadata") } ?? [:]
        let page = try await reads.read { client in
            try await DocumentRepository(client: client).list(
                tenantID: tenantID, filter: .init(userID: userID, metadata: metadata), after: paging.cursor, limit: paging.limit,
                logger: context.logger)
        }
        return try .json(ListBody(
            data: page.documents.map { DocumentView($0) }, nextCursor: page.next.map(PageQuery.encode), hasMore: page.next != nil))
    }

    func get(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        guard let document = try await documents.get(externalID: id, tenantID: tenantID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try .json(DocumentView(document))
    }

    func delete(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let id = try context.parameters.require("id")
        guard try await documents.delete(externalID: id, tenantID: tenantID, logger: context.logger) else { throw Self.notFound(id) }
        context.logger.info("document deleted", metadata: ["document.id": "\(id)"])
        return try .json(Deleted(id: id))
    }

    private static func notFound(_ id: String) -> APIError {
        .notFound("no document with id '\(id.prefix(256))'", code: "document_not_found")
    }
}
