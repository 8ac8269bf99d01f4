import Foundation

/// Text helpers shared by everything that stores memories.
public enum MemoryText {
    /// Normalization used for the per-user content hash (so "I like tea." and "i like  tea"
    /// reinforce the same memory): Unicode NFKC, lowercased, whitespace collapsed,
    /// trailing punctuation trimmed.
    ///
    /// Whitespace is any Unicode whitespace, line breaks included; runs become one space and
    /// the ends are trimmed. Trailing punctuation is any Unicode punctuation character
    /// (general category P); punctuation elsewhere, and symbols such as emoji, are kept.
    public static func normalized(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var result = folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while let last = result.last, last.isPunctuation || last.isWhitespace {
            result.removeLast()
        }
        return result
    }
}
