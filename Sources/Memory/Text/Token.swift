import Foundation

/// One whitespace-separated word of a sentence.
struct Token: Hashable, Sendable {
    /// As written, with any punctuation attached to it ("tomorrow,").
    var text: String
    /// Lowercased, without surrounding punctuation or symbols: what the rules match on.
    var word: String

    init(_ text: String) {
        self.text = text
        self.word = text.trimmingCharacters(in: Self.edges).lowercased()
    }

    private static let edges = CharacterSet.punctuationCharacters.union(.symbols).union(.whitespaces)

    /// The punctuation written after the word, e.g. "," in "tomorrow,".
    var trailingPunctuation: String {
        guard let last = text.lastIndex(where: { $0.isLetter || $0.isNumber }) else { return "" }
        return String(text[text.index(after: last)...])
    }

    /// This token with another word, keeping the punctuation written after it.
    func replacingWord(with newWord: String) -> Token {
        Token(newWord + trailingPunctuation)
    }

    /// This token without the punctuation written after it.
    var withoutTrailingPunctuation: Token {
        Token(String(text.dropLast(trailingPunctuation.count)))
    }

    /// This token with its first letter lowercased ("Every" → "every").
    var lowercasingFirst: Token {
        Token(text.prefix(1).lowercased() + text.dropFirst())
    }

    var isWord: Bool { !word.isEmpty }

    /// Splits on whitespace.
    static func tokenize(_ text: some StringProtocol) -> [Token] {
        text.split(whereSeparator: \.isWhitespace).map { Token(String($0)) }
    }

    /// "I'm" → "I am", "don't" → "do not", "i" → "I". A capital on the first letter and
    /// punctuation after the contraction are kept.
    static func expandingContractions(_ tokens: [Token]) -> [Token] {
        tokens.flatMap { token -> [Token] in
            if token.word == "i" { return [token.replacingWord(with: "I")] }
            guard let parts = Lexicon.contractions[token.word] else { return [token] }
            let capitalized = token.text.first?.isUppercase ?? false
            return parts.enumerated().map { index, part in
                let shown = index == 0 && capitalized ? part.prefix(1).uppercased() + part.dropFirst() : part
                let isLast = index == parts.count - 1
                return Token(isLast ? shown + token.trailingPunctuation : shown)
            }
        }
    }
}

extension [Token] {
    /// The tokens joined by single spaces.
    var joinedText: String { map(\.text).joined(separator: " ") }
    var words: [String] { map(\.word) }

    /// Whether the words from `index` on start with `words`.
    func matches(_ words: [String], at index: Int) -> Bool {
        guard index >= 0, index + words.count <= count else { return false }
        return words.indices.allSatisfy { self[index + $0].word == words[$0] }
    }
}
