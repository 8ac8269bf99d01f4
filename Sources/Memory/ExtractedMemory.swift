public import Foundation

/// One memory item found in a conversation.
///
/// `text` is a statement about the speaker. When the message names its speaker the
/// statement starts with that name ("Caroline likes green tea"); otherwise the subject,
/// the user, is left out ("Likes green tea", "Name is Ana"). Other references to the
/// speaker inside it use singular they ("Needs to take their pills"). See
/// docs/extraction.md for the full convention.
public struct ExtractedMemory: Codable, Hashable, Sendable {
    public var type: MemoryType
    public var text: String
    /// Lowercase slugs from a fixed vocabulary, in vocabulary order; never empty.
    public var categories: [String]
    /// When the stated thing happens or happened, if the text states a time.
    public var happenedAt: Date?
    /// 0-based positions in the job's `messages` the memory was read from: sorted, unique,
    /// non-empty when known; empty when the producer could not say.
    public var messageIndices: [Int]
    /// What to do with it given what the user already has (the LLM decides; the rules
    /// always add). Not encoded: it names stored items, so it means nothing outside the
    /// job that decided it.
    public var action: Action

    /// An LLM's decision about a new fact, given the user's similar current memories
    /// (their ids here are the stored items').
    public enum Action: Hashable, Sendable {
        case add
        /// It restates this memory: reinforce it, store nothing new.
        case reinforce(String)
        /// It replaces this memory: store it and close the old one.
        case supersede(String)
    }

    public init(
        type: MemoryType, text: String, categories: [String], happenedAt: Date?, messageIndices: [Int] = [], action: Action = .add
    ) {
        self.type = type
        self.text = text
        self.categories = categories
        self.happenedAt = happenedAt
        self.messageIndices = messageIndices
        self.action = action
    }

    /// Items encoded before `message_indices` existed decode with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(MemoryType.self, forKey: .type)
        text = try container.decode(String.self, forKey: .text)
        categories = try container.decode([String].self, forKey: .categories)
        happenedAt = try container.decodeIfPresent(Date.self, forKey: .happenedAt)
        messageIndices = try container.decodeIfPresent([Int].self, forKey: .messageIndices) ?? []
        action = .add
    }

    enum CodingKeys: String, CodingKey {
        case type, text, categories
        case happenedAt = "happened_at"
        case messageIndices = "message_indices"
    }
}
