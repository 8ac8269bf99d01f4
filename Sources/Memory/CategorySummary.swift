public import Contracts
import Foundation

/// memU's category summaries: what is known about a user in one category, rewritten from
/// the category's items. The LLM prompt is `Prompts/summarize_category.v1.md` (compiled
/// in; a changed prompt is a new file and version); without a provider the summary is
/// written offline from the items themselves.
public enum CategorySummary {
    public static let promptVersion = "summarize_category.v1"

    /// One item a summary is written from.
    public struct Item: Sendable, Equatable {
        public var id: String
        public var text: String

        public init(id: String, text: String) {
            self.id = id
            self.text = text
        }
    }

    /// The system prompt for `category`, then the items as one user message, most
    /// reinforced first.
    public static func messages(category: String, items: [Item]) -> [ChatMessage] {
        let system = template.replacingOccurrences(of: "{{category}}", with: category)
        let listing = items.map { "[\($0.id)] \($0.text)" }.joined(separator: "\n")
        return [ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: listing)]
    }

    /// The offline summary: the items' texts as sentences, most reinforced first, as many
    /// as fit in `maxCharacters` (at least one). Returns it with the ids it used.
    public static func offline(_ items: [Item], maxCharacters: Int = 600) -> (summary: String, itemIDs: [String]) {
        var sentences: [String] = []
        var used: [String] = []
        var length = 0
        for item in items {
            var sentence = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !sentence.isEmpty else { continue }
            if let last = sentence.last, !".!?".contains(last) { sentence += "." }
            if !sentences.isEmpty, length + 1 + sentence.count > maxCharacters { break }
            sentences.append(sentence)
            used.append(item.id)
            length += (sentences.count > 1 ? 1 : 0) + sentence.count
        }
        return (sentences.joined(separator: " "), used)
    }

    static let template = String(decoding: PackageResources.summarize_category_v1_md, as: UTF8.self)
}
