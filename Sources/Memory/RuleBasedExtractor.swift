public import Contracts
public import Foundation

/// The offline memory extractor used when no LLM provider is configured: documented
/// keyword and pattern rules that turn a conversation into typed memory items.
///
/// Only `user` messages are read. Each sentence gives at most one memory; output is in
/// conversation order, deduplicated by `MemoryText.normalized(text)` (the first one wins),
/// and the same input always gives the same output. The rules are in docs/extraction.md.
public struct RuleBasedExtractor: Sendable {
    public init() {}

    /// `reference` = when the conversation happened (messages' createdAt win when present);
    /// relative dates ("tomorrow", "next Friday", "in 3 days", "on May 3", "at 5pm") resolve
    /// against it in `timeZone`.
    public func extract(_ messages: [MemorizeJob.Message], reference: Date, timeZone: TimeZone) -> [ExtractedMemory] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var seen: Set<String> = []
        var memories: [ExtractedMemory] = []
        for message in messages where message.role == .user {
            let reader = ClauseReader(reference: message.createdAt ?? reference, calendar: calendar)
            for sentence in Sentence.split(message.content) {
                guard let tokens = sentence.statementTokens, let memory = reader.read(tokens),
                    seen.insert(MemoryText.normalized(memory.text)).inserted
                else { continue }
                memories.append(memory)
            }
        }
        return memories
    }
}
