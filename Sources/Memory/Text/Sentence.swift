import Foundation

/// One sentence of a user message, as written.
struct Sentence: Hashable, Sendable {
    var text: String
    /// Ended with "?" (possibly with "!" or closing quotes around it).
    var isQuestion: Bool

    /// Splits a message into sentences.
    ///
    /// The text is first NFKC-normalized, curly quotes are straightened and "a.m."/"p.m."
    /// become "am"/"pm". A sentence ends at a line break, or at a run of `. ! ? … ; 。`
    /// followed by whitespace or the end of the text. A single "." after a known
    /// abbreviation ("Dr.", "e.g.") or a one-letter initial does not end a sentence.
    static func split(_ content: String) -> [Sentence] {
        let characters = Array(prepared(content))
        var sentences: [Sentence] = []
        var current = ""
        func flush(question: Bool) {
            let text = current.trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { sentences.append(Sentence(text: text, isQuestion: question)) }
            current = ""
        }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isNewline {
                flush(question: false)
                index += 1
                continue
            }
            guard terminators.contains(character) else {
                current.append(character)
                index += 1
                continue
            }
            var end = index
            var question = false
            while end < characters.count, terminators.contains(characters[end]) || closers.contains(characters[end]) {
                if characters[end] == "?" { question = true }
                end += 1
            }
            let atBoundary = end == characters.count || characters[end].isWhitespace
            let isAbbreviationDot = character == "." && end == index + 1 && endsWithAbbreviation(current)
            current.append(contentsOf: characters[index..<end])
            if atBoundary && !isAbbreviationDot { flush(question: question) }
            index = end
        }
        flush(question: false)
        return sentences
    }

    private static let terminators: Set<Character> = [".", "!", "?", "…", ";", "。"]
    private static let closers: Set<Character> = [")", "]", "\"", "'", "»"]
    private static let abbreviations: Set<String> = [
        "dr", "mr", "mrs", "ms", "st", "prof", "jr", "sr", "vs", "etc", "e.g", "i.e", "approx",
    ]

    private static func prepared(_ content: String) -> String {
        content.precomposedStringWithCompatibilityMapping
            .replacingOccurrences(of: "\u{2019}", with: "'")
            .replacingOccurrences(of: "\u{2018}", with: "'")
            .replacingOccurrences(of: "\u{201C}", with: "\"")
            .replacingOccurrences(of: "\u{201D}", with: "\"")
            .replacingOccurrences(of: "a.m.", with: "am", options: .caseInsensitive)
            .replacingOccurrences(of: "p.m.", with: "pm", options: .caseInsensitive)
    }

    private static func endsWithAbbreviation(_ text: String) -> Bool {
        guard let last = text.split(whereSeparator: \.isWhitespace).last else { return false }
        let word = last.drop(while: { !$0.isLetter }).lowercased()
        if word.count == 1, let letter = last.last, letter.isUppercase { return true }
        return abbreviations.contains(word)
    }
}
