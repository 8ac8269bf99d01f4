import Foundation
import Hummingbird
import Memory
import Storage

/// `POST /v1/retrieve`: one user's memory items and messages for a query, by hybrid
/// search (`Retriever`), as a list of hits or (`"format": "context"`) one prompt-ready text.
struct RetrieveAPI: Sendable {
    static let maxTopK = 100
    static let maxQueryCharacters = 8192
    static let maxContextTokens = 32_768

    struct Body: RequestBody {
        var userID: String
        var agentID: String?
        var query: String
        var topK: Int?
        var filters: MemoryFilters?
        var include: [String]?
        var explain: Bool?
        var format: String?
        var maxTokens: Int?
        var timeZone: String?

        static let shape = JSONShape.object([
            "user_id": .value, "agent_id": .value, "query": .value, "top_k": .value, "filters": MemoryFilters.shape,
            "include": .value, "explain": .value, "format": .value, "max_tokens": .value, "time_zone": .value,
        ])

        enum CodingKeys: String, CodingKey {
            case query, filters, include, explain, format
            case userID = "user_id"
            case agentID = "agent_id"
            case topK = "top_k"
            case maxTokens = "max_tokens"
            case timeZone = "time_zone"
        }
    }

    let retriever: Retriever
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/retrieve", use: retrieve)
    }

    func retrieve(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
        let search = try Self.search(from: body, tenantID: tenantID)
        let format = body.format ?? "hits"
        guard ["hits", "context"].contains(format) else { throw APIError.invalid("format must be hits or context", param: "format") }
        if let maxTokens = body.maxTokens, !(1...Self.maxContextTokens).contains(maxTokens) {
            throw APIError.invalid("max_tokens must be between 1 and \(Self.maxContextTokens)", param: "max_tokens")
        }
        let hits = try await retriever.retrieve(search, logger: context.logger)
        if format == "context" {
            return try .json(retriever.context(from: hits, maxTokens: body.maxTokens ?? 1024, timeZone: search.timeZone))
        }
        return try .json(ListBody(data: hits.map { $0.view(explain: body.explain == true) }))
    }

    static func search(from body: Body, tenantID: String) throws -> Retriever.Search {
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
        var kinds = Set<RecallRepository.Kind>()
        for name in body.include ?? ["memories", "messages"] {
            switch name {
            case "memories": kinds.insert(.memory)
            case "messages": kinds.insert(.message)
            default: throw APIError.invalid("include takes memories and messages, not '\(name)'", param: "include")
            }
        }
        guard !kinds.isEmpty else { throw APIError.invalid("include must name memories, messages or both", param: "include") }
        var timeZone = TimeZone.gmt
        if let name = body.timeZone {
            guard let zone = TimeZone(identifier: name) else {
                throw APIError.invalid("time_zone must be an IANA time zone such as Asia/Shanghai", param: "time_zone")
            }
            timeZone = zone
        }
        return Retriever.Search(
            tenantID: tenantID, userID: body.userID, query: query, topK: topK,
            filter: try (body.filters ?? MemoryFilters()).repositoryFilter(agentID: body.agentID), kinds: kinds, timeZone: timeZone)
    }
}
