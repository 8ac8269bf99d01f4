import Foundation
import Memory
import Testing

/// docs/extraction.md is what users rely on: its example table must be what the extractor
/// does, and its keyword table must be keywords the extractor uses.
@Suite("docs/extraction.md")
struct DocsTests {
    /// `<package>/docs/extraction.md`, found from this source file.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/extraction.md")

    static let text: String? = try? String(contentsOf: url, encoding: .utf8)

    /// The cells of the table right after `<!-- name -->`, header and separator skipped.
    static func table(_ name: String) -> [[String]] {
        guard let text, let marker = text.range(of: "<!-- \(name) -->\n") else { return [] }
        let rows = text[marker.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("|") }
            .dropFirst(2)
        return rows.map { row in
            row.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
        }
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var says: String
        var name: String?
        var zone: String
        var expected: ExtractedMemory?
        var testDescription: String { "\(name.map { "\($0): " } ?? "")\(says) [\(zone)]" }
    }

    /// Columns: user says, name, zone, type, text, categories, happened_at.
    static let examples: [Example] = table("examples").map { cells in
        let padded = cells + Array(repeating: "", count: max(0, 7 - cells.count))
        let expected = MemoryType(rawValue: padded[3]).map { type in
            ExtractedMemory(
                type: type, text: padded[4],
                categories: padded[5].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                happenedAt: padded[6].isEmpty ? nil : utc(padded[6]), messageIndices: [0])
        }
        return Example(says: padded[0], name: padded[1].isEmpty ? nil : padded[1], zone: padded[2], expected: expected)
    }

    @Test func docExists() throws {
        try #require(Self.text != nil, "cannot read \(Self.url.path)")
        #expect(Self.examples.count >= 30)
        #expect(Self.examples.contains { $0.expected == nil })
        #expect(Self.examples.contains { $0.name != nil })
        #expect(Set(Self.examples.compactMap(\.expected?.type)) == Set(MemoryType.allCases))
    }

    @Test(arguments: examples)
    func exampleIsWhatTheExtractorDoes(_ example: Example) {
        #expect(extract([user(example.says, name: example.name)], in: example.zone) == (example.expected.map { [$0] } ?? []))
    }

    /// The slot table: what the user says, through the extractor, files under the slot.
    @Test func documentedSlotsAreWhatMemorizeFiles() {
        let rows = Self.table("slots")
        #expect(rows.count >= 12)
        for row in rows {
            let name = row[1].isEmpty ? nil : row[1]
            let memory = extract([user(row[0], name: name)], in: "UTC").first
            let slot = memory.flatMap { MemorySlot.of($0.text, subject: name) }
            #expect(slot == (row[2].isEmpty ? nil : row[2]), "\(row[0]) → \(memory?.text ?? "nothing")")
        }
    }

    /// Every documented keyword gives its category to a remembered fact that mentions it.
    @Test func documentedKeywordsGiveTheirCategory() {
        let rows = Self.table("categories")
        #expect(rows.count == 11)
        for row in rows {
            let category = row[0]
            for keyword in row[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let found = extract("Remember that the topic is \(keyword).")
                #expect(found.first?.categories.contains(category) == true, "\(keyword) → \(category)")
            }
        }
    }
}
