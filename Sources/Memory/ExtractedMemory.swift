public import Foundation

/// One memory item found in a conversation.
///
/// `text` is a statement about the user with the subject left out: "Likes green tea",
/// "Name is Ana", "Has a dentist appointment on 2026-03-11 at 15:00". Other references to
/// the user inside it use singular they ("Needs to take their pills"). See
/// docs/extraction.md for the full convention.
public struct ExtractedMemory: Codable, Hashable, Sendable {
    public var type: MemoryType
    public var text: String
    /// Lowercase slugs from a fixed vocabulary, in vocabulary order; never empty.
    public var categories: [String]
    /// When the stated thing happens or happened, if the text states a time.
    public var happenedAt: Date?
    /// 0-based indices of the job's messages it was extracted from.
    public var messageIndices: [Int]

    public init(type: MemoryType, text: String, categories: [String], happenedAt: Date?, messageIndices: [Int] = []) {
        self.type = type
        self.text = text
        self.categories = categories
        self.happenedAt = happenedAt
        self.messageIndices = messageIndices
    }

    enum CodingKeys: String, CodingKey {
        case type, text, categories
        case happenedAt = "happened_at"
        case messageIndices = "message_indices"
    }
}
