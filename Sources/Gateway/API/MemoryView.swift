import Foundation
import Storage

/// A memory item as clients see it.
struct MemoryView: Encodable {
    var id: String
    var object = "memory"
    var userID: String
    var agentID: String?
    var type: String
    var text: String
    var categories: [String]
    var happenedAt: Date?
    var reinforcementCount: Int
    var resourceID: String?
    var sourceJobID: String?
    var createdAt: Date
    var updatedAt: Date
    /// The messages it was extracted from.
    var messageIDs: [String]
    /// Retrieve only: `memory`, the fused score, when it happened, and (asked for) why.
    var kind: String?
    var score: Double?
    var time: Date?
    var explain: Fusion.Explanation?

    init(_ item: MemoryRepository.Item, score: Double? = nil) {
        id = item.id
        userID = item.userID
        agentID = item.agentID
        type = item.type
        text = item.text
        categories = item.categories
        happenedAt = item.happenedAt
        reinforcementCount = item.reinforcementCount
        resourceID = item.resourceID
        sourceJobID = item.sourceJobID
        createdAt = item.createdAt
        updatedAt = item.updatedAt
        messageIDs = item.messageIDs
        self.score = score
    }

    enum CodingKeys: String, CodingKey {
        case id, object, type, text, categories, score, kind, time, explain
        case messageIDs = "message_ids"
        case userID = "user_id"
        case agentID = "agent_id"
        case happenedAt = "happened_at"
        case reinforcementCount = "reinforcement_count"
        case resourceID = "resource_id"
        case sourceJobID = "source_job_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// Filters shared by list and retrieve.
struct MemoryFilters: Decodable {
    var types: [String]?
    var categories: [String]?
    var since: Date?
    var until: Date?

    static let shape = JSONShape.object(["types": .value, "categories": .value, "since": .value, "until": .value])

    /// Memory types, as stored (and as the extractor writes them).
    static let knownTypes: Set<String> = ["profile", "event", "knowledge", "behavior", "skill", "tool"]

    /// - Parameter params: how the fields are named in the request (body or query).
    func repositoryFilter(agentID: String?, params: (types: String, since: String) = ("filters.types", "filters.since")) throws
        -> MemoryRepository.Filter
    {
        for type in types ?? [] where !Self.knownTypes.contains(type) {
            throw APIError.invalid(
                "unknown memory type '\(type)'; expected one of \(Self.knownTypes.sorted().joined(separator: ", "))", param: params.types)
        }
        if let since, let until, since >= until {
            throw APIError.invalid("since must be before until", param: params.since)
        }
        return MemoryRepository.Filter(
            agentID: agentID, types: types ?? [], categories: categories ?? [], since: since, until: until)
    }
}
