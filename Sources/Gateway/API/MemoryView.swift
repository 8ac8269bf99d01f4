import Contracts
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
    var validFrom: Date
    var validUntil: Date?
    var supersededBy: String?
    var slot: String?
    var metadata: [String: JSONValue]
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
        validFrom = item.validFrom
        validUntil = item.validUntil
        supersededBy = item.supersededBy
        slot = item.slot
        metadata = item.metadata
        self.score = score
    }

    enum CodingKeys: String, CodingKey {
        case id, object, type, text, categories, score, kind, time, explain, slot, metadata
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case supersededBy = "superseded_by"
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
    /// What was true at this instant (items valid then, messages sent by then).
    var asOf: Date?
    /// Superseded items too (without `as_of`).
    var includeSuperseded: Bool?
    /// Items whose metadata holds all these pairs.
    var metadata: [String: JSONValue]?

    static let shape = JSONShape.object([
        "types": .value, "categories": .value, "since": .value, "until": .value, "as_of": .value, "include_superseded": .value,
        "metadata": .value,
    ])

    enum CodingKeys: String, CodingKey {
        case types, categories, since, until, metadata
        case asOf = "as_of"
        case includeSuperseded = "include_superseded"
    }

    /// Memory types, as stored (and as the extractor writes them).
    static let knownTypes: Set<String> = ["profile", "event", "knowledge", "behavior", "skill", "tool"]

    /// - Parameter params: how the fields are named in the request (body or query).
    func repositoryFilter(
        agentID: String?, params: (types: String, since: String, metadata: String) = ("filters.types", "filters.since", "filters.metadata")
    ) throws -> MemoryRepository.Filter {
        for type in types ?? [] where !Self.knownTypes.contains(type) {
            throw APIError.invalid(
                "unknown memory type '\(type)'; expected one of \(Self.knownTypes.sorted().joined(separator: ", "))", param: params.types)
        }
        if let since, let until, since >= until {
            throw APIError.invalid("since must be before until", param: params.since)
        }
        if let metadata { try MemoryMetadata.check(metadata, param: params.metadata) }
        return MemoryRepository.Filter(
            agentID: agentID, types: types ?? [], categories: categories ?? [], since: since, until: until, asOf: asOf,
            includeSuperseded: includeSuperseded ?? false, metadata: metadata ?? [:])
    }
}

/// An application's own key/values on a memory: at most `maxKeys` keys of 1 to
/// `maxKeyLength` characters, each value a string (at most `maxStringLength`), a number
/// or a boolean, so every pair can be matched by a filter.
enum MemoryMetadata {
    static let maxKeys = 64
    static let maxKeyLength = 64
    static let maxStringLength = 1024

    /// A query parameter's metadata filter: a JSON object (`{"source":"crm"}`), checked.
    static func parse(query text: String, param: String) throws -> [String: JSONValue] {
        guard let object = try? WireJSON.decoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
            throw APIError.invalid("\(param) must be a JSON object, e.g. {\"source\":\"crm\"}", param: param)
        }
        try check(object, param: param)
        return object
    }

    static func check(_ metadata: [String: JSONValue], param: String) throws {
        guard metadata.count <= maxKeys else { throw APIError.invalid("\(param) holds more than \(maxKeys) keys", param: param) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard (1...maxKeyLength).contains(key.count), !key.contains("\u{0}") else {
                throw APIError.invalid("\(param) keys must hold 1 to \(maxKeyLength) characters", param: param)
            }
            switch value {
            case .integer, .number, .bool: continue
            case .string(let text) where text.count <= maxStringLength && !text.contains("\u{0}"): continue
            case .string:
                throw APIError.invalid(
                    "\(param).\(key) must be at most \(maxStringLength) characters, without NUL", param: "\(param).\(key)")
            default: throw APIError.invalid("\(param).\(key) must be a string, a number or a boolean", param: "\(param).\(key)")
            }
        }
    }
}
