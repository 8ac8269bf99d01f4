import Foundation
import Hummingbird
import Storage

/// `POST /v1/retrieve`: the memory items of one user nearest to a query.
struct RetrieveAPI: Sendable {
    static let maxTopK = 100
    static let maxQueryCharacters = 8192

    struct Body: RequestBody {
        var userID: String
        var agentID: String?
        var query: String
        var topK: Int?
        var filters: MemoryFilters?

        static let shape = JSONShape.object([
            "user_id": .value, "agent_id": .value, "query": .value, "top_k": .value, "filters": MemoryFilters.shape,
        ])

        enum CodingKeys: String, CodingKey {
            case query, filters
            case userID = "user_id"
            case agentID = "agent_id"
            case topK = "top_k"
        }
    }

    let memories: MemoryRepository
    let space: ActiveSpace
    let embedder: QueryEmbedder
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/retrieve", use: retrieve)
    }

    func retrieve(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
        try IDRules.check(body.userID, param: "user_id")
        if let agentID = body.agentID { try IDRules.check(agentID, param: "agent_id") }
        let query = body.query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty, body.query.count <= Self.maxQueryCharacters else {
            throw APIError.invalid("query must be non-empty and at most \(Self.maxQueryCharacters) characters", param: "query")
        }
        let topK = body.topK ?? 10
        guard (1...Self.maxTopK).contains(topK) else {
            throw APIError.invalid("top_k must be between 1 and \(Self.maxTopK)", param: "top_k")
        }
        let filter = try (body.filters ?? MemoryFilters()).repositoryFilter(agentID: body.agentID)
        guard let space = try await space.current(logger: context.logger) else {
            throw APIError.unavailable("no embedding model registered yet: start an embedding worker", code: "no_embedding_space")
        }
        let vector = try await embedder.embed([query], space: space, logger: context.logger).vectors[0]
        let found = try await memories.search(
            tenantID: tenantID, userID: body.userID, filter: filter, spaceID: space.id, vector: vector, limit: topK,
            logger: context.logger)
        return try .json(ListBody(data: found.map { MemoryView($0.item, score: $0.score) }))
    }
}
