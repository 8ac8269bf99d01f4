public import Contracts
public import Foundation

/// The offline memory extractor used when no LLM provider is configured: documented
/// keyword and pattern rules that turn a conversation into typed memory items.
///
/// Only `user` messages are read. Each clause gives at most one memory; output is in
/// conversation order, deduplicated by `MemoryText.normalized(text)` (the first wording
/// wins and collects the indices of the later messages that said it again), and the same
/// input always gives the same output. The rules are in docs/extraction.md.
public struct RuleBasedExtractor: Sendable {
    public init() {}

    /// `reference` = when the conversation happened (messages' createdAt win when present);
    /// relative dates ("tomorrow", "next Friday", "in 3 days", "on May 3", "at 5pm") resolve
    /// against it in `timeZone`. A message's `name` becomes the subject of its statements.
    public func extract(_ messages: [MemorizeJob.Message], reference: Date, timeZone: TimeZone) -> [ExtractedMemory] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var positions: [String: Int] = [:]
        var memories: [ExtractedMemory] = []
        for (index, message) in messages.enumerated() where message.role == .user {
            let reader = ClauseReader(
                reference: message.createdAt ?? reference, calendar: calendar, speaker: Self.speaker(message.name))
            for sentence in Sentence.split(message.content) {
                guard let tokens = sentence.statementTokens else { continue }
                for var memory in reader.read(tokens) {
                    let key = MemoryText.normalized(memory.text)
                    if let position = positions[key] {
                        if memories[position].messageIndices.last != index { memories[position].messageIndices.append(index) }
                        continue
                    }
                    memory.messageIndices = [index]
                    positions[key] = memories.count
                    memories.append(memory)
                }
            }
        }
        return memories
    }

    /// The name as a subject: trimmed, whitespace runs collapsed; nil when blank.
    private static func speaker(_ name: String?) -> String? {
        guard let name else { return nil }
        let words = name.split(whereSeparator: \.isWhitespace)
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}
