import Foundation
import Storage

/// What an agent pastes into its prompt: the relevant facts, then the relevant excerpts
/// with speaker and date, most relevant first in each part, each text once, within a
/// token budget.
struct ContextBlock: Encodable, Sendable {
    var object = "memory.context"
    var text: String
    /// `text`'s tokens, counted as the embedding model's tokenizer does.
    var tokens: Int
    /// The messages the block stands on.
    var messageIDs: [String]

    enum CodingKeys: String, CodingKey {
        case object, text, tokens
        case messageIDs = "message_ids"
    }

    static let factsHeading = "Facts:"
    static let excerptsHeading = "Excerpts:"

    /// Lines are added best hit first while the block stays within `maxTokens`; a line
    /// that does not fit is skipped and a shorter one after it may still fit.
    static func build(from hits: [Retriever.Hit], maxTokens: Int, timeZone: TimeZone, tokenCount: (String) -> Int) -> ContextBlock {
        var facts: [String] = []
        var excerpts: [String] = []
        var seen = Set<String>()
        var cited: [String] = []
        var citedSet = Set<String>()
        var used = 0
        // What an empty text counts ([CLS] and [SEP]); WordPiece splits on whitespace first,
        // so a newline-joined block counts that plus the sum of its lines.
        let base = tokenCount("")
        func cost(_ line: String) -> Int { max(tokenCount(line) - base, 0) }
        let headings = [factsHeading: cost(factsHeading), excerptsHeading: cost(excerptsHeading)]
        for hit in hits {
            let candidate = hit.ranked.candidate
            let line: String
            let heading: String
            switch hit {
            case .memory(let item, _):
                let date = item.happenedAt.map { " (\(day($0, timeZone)))" } ?? ""
                line = "- \(item.text)\(date)"
                heading = factsHeading
            case .message:
                let speaker = candidate.name.map { "\($0): " } ?? ""
                line = "[\(day(candidate.time, timeZone))] \(speaker)\(candidate.text)"
                heading = excerptsHeading
            }
            guard seen.insert(line).inserted else { continue }
            let section = heading == factsHeading ? facts : excerpts
            let needed = cost(line) + (section.isEmpty ? headings[heading] ?? 0 : 0)
            guard base + used + needed <= maxTokens else { continue }
            used += needed
            if heading == factsHeading { facts.append(line) } else { excerpts.append(line) }
            for id in candidate.messageIDs where citedSet.insert(id).inserted { cited.append(id) }
        }
        var parts: [String] = []
        if !facts.isEmpty { parts.append(([factsHeading] + facts).joined(separator: "\n")) }
        if !excerpts.isEmpty { parts.append(([excerptsHeading] + excerpts).joined(separator: "\n")) }
        let text = parts.joined(separator: "\n")
        return ContextBlock(text: text, tokens: text.isEmpty ? 0 : tokenCount(text), messageIDs: cited)
    }

    private static func day(_ date: Date, _ timeZone: TimeZone) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: timeZone)
        style = style.year().month().day()
        return style.format(date)
    }
}
