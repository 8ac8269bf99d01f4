public import Contracts
public import Foundation

/// memU's category summaries: what is known about a user in one category, rewritten from
/// the category's items. The LLM prompt is `Prompts/summarize_category.v2.md` (compiled
/// in; a changed prompt is a new file and version); without a provider the summary is
/// written offline from the items themselves.
public enum CategorySummary {
    public static let promptVersion = "summarize_category.v2"

    /// One item a summary is written from.
    public struct Item: Sendable, Equatable {
        public var id: String
        public var text: String
        /// When it was stated (its `valid_from`).
        public var statedAt: Date

        public init(id: String, text: String, statedAt: Date) {
            self.id = id
            self.text = text
            self.statedAt = statedAt
        }
    }

    /// The system prompt for `category`, then the items as one user message, newest first
    /// with the day each was stated: of two contradicting items, the model keeps the newer.
    public static func messages(category: String, items: [Item]) -> [ChatMessage] {
        let system = template.replacingOccurrences(of: "{{category}}", with: category)
        let day = Date.ISO8601FormatStyle().year().month().day()
        let listing = items.sorted { ($0.statedAt, $0.id) > ($1.statedAt, $1.id) }
            .map { "[\($0.id)] (\(day.format($0.statedAt))) \($0.text)" }.joined(separator: "\n")
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

    static let template = String(decoding: PackageResources.summarize_category_v2_md, as: UTF8.self)
}
