import Contracts
public import Foundation

/// Reads an LLM's answer to `MemoryExtractionPrompt` into validated memories.
///
/// Small slips are repaired (a Markdown code fence around the JSON, prose before or
/// after it, category case, unknown categories dropped, indices repeated or out of order);
/// anything else is an `Error` whose message says what was wrong, so the caller can ask
/// again or give up with it. That includes a memory without source messages or naming a
/// message the conversation does not have: the prompt numbers them, the model must cite them.
public enum MemoryExtractionOutput {
    public struct Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Longest memory text kept; longer ones are treated as a malformed answer.
    public static let maxTextLength = 500

    private struct Answer: Decodable {
        struct Item: Decodable {
            var type: String
            var text: String
            var categories: [String]?
            var happenedAt: String?
            var messageIndices: [Int]?
            var action: String?
            var target: String?

            enum CodingKeys: String, CodingKey {
                case type, text, categories, action, target
                case happenedAt = "happened_at"
                case messageIndices = "message_indices"
            }
        }
        var memories: [Item]
    }

    /// `messageCount`: how many messages the prompt showed (indices 0..<messageCount);
    /// `known`: the memories it showed, whose keys an action may target. An `ignore`d
    /// memory is left out; an absent action is `add`.
    public static func parse(
        _ answer: String, messageCount: Int, known: [MemoryExtractionPrompt.Known] = []
    ) throws(Error) -> [ExtractedMemory] {
        guard let start = answer.firstIndex(of: "{"), let end = answer.lastIndex(of: "}"), start < end else {
            throw Error(message: "the answer holds no JSON object")
        }
        let decoded: Answer
        do {
            decoded = try JSONDecoder().decode(Answer.self, from: Data(answer[start...end].utf8))
        } catch {
            throw Error(message: "the answer is not {\"memories\": [...]} JSON: \(Self.summary(of: error))")
        }
        let ids = Dictionary(known.map { ($0.key.lowercased(), $0.id) }, uniquingKeysWith: { first, _ in first })
        var memories: [ExtractedMemory] = []
        for (index, item) in decoded.memories.enumerated() {
            let action: ExtractedMemory.Action
            switch item.action?.lowercased() ?? "add" {
            case "add": action = .add
            case "ignore": continue
            case let verb where verb == "reinforce" || verb == "supersede":
                guard let key = item.target, let id = ids[key.trimmingCharacters(in: .whitespaces).lowercased()] else {
                    throw Error(message: "memories[\(index)].target '\((item.target ?? "null").prefix(20))' is not a key shown under Known memories (\(known.isEmpty ? "none were shown" : known.map(\.key).joined(separator: ", ")))")
                }
                action = verb == "reinforce" ? .reinforce(id) : .supersede(id)
            default:
                throw Error(message: "memories[\(index)].action '\((item.action ?? "").prefix(20))' is not one of add, reinforce, supersede, ignore")
            }
            guard let type = MemoryType(rawValue: item.type.lowercased()) else {
                throw Error(message: "memories[\(index)].type '\(item.type.prefix(40))' is not one of \(MemoryType.allCases.map(\.rawValue))")
            }
            let text = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.count <= maxTextLength else {
                throw Error(message: "memories[\(index)].text must hold 1 to \(maxTextLength) characters")
            }
            var happenedAt: Date?
            if let time = item.happenedAt, !time.isEmpty {
                guard let date = WireJSON.parse(time) else {
                    throw Error(message: "memories[\(index)].happened_at '\(time.prefix(40))' is not an RFC 3339 timestamp")
                }
                happenedAt = date
            }
            let indices = Set(item.messageIndices ?? [])
            guard !indices.isEmpty else {
                throw Error(message: "memories[\(index)].message_indices must name at least one message")
            }
            if let wrong = indices.sorted().first(where: { !(0..<messageCount).contains($0) }) {
                throw Error(
                    message: "memories[\(index)].message_indices holds \(wrong); messages are numbered 0 to \(messageCount - 1)")
            }
            let named = Set((item.categories ?? []).compactMap { MemoryCategory(rawValue: $0.lowercased()) })
            memories.append(ExtractedMemory(
                type: type, text: text, categories: MemoryCategory.slugs(named), happenedAt: happenedAt,
                messageIndices: indices.sorted(), action: action))
        }
        return memories
    }

    private static func summary(of error: any Swift.Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
