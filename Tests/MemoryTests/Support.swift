import Contracts
import Foundation
import Memory

/// 2026-03-10T14:00:00Z, a Tuesday: the reference instant of every table.
let reference = utc("2026-03-10T14:00:00Z")

func utc(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad date \(text)") }
    return date
}

func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else { fatalError("unknown zone \(identifier)") }
    return zone
}

func user(_ content: String, at createdAt: Date? = nil, name: String? = nil) -> MemorizeJob.Message {
    .init(role: .user, content: content, createdAt: createdAt, name: name)
}

func assistant(_ content: String) -> MemorizeJob.Message { .init(role: .assistant, content: content) }
func system(_ content: String) -> MemorizeJob.Message { .init(role: .system, content: content) }
func tool(_ content: String) -> MemorizeJob.Message { .init(role: .tool, content: content) }

/// A memory read from the messages at `indices` (the first one, as in most tables).
func memory(
    _ type: MemoryType, _ text: String, _ categories: [String], at happenedAt: String? = nil, from indices: [Int] = [0]
) -> ExtractedMemory {
    ExtractedMemory(type: type, text: text, categories: categories, happenedAt: happenedAt.map(utc), messageIndices: indices)
}

/// The extractor over `messages` at the reference instant.
func extract(_ messages: [MemorizeJob.Message], in zoneID: String = "UTC") -> [ExtractedMemory] {
    RuleBasedExtractor().extract(messages, reference: reference, timeZone: zone(zoneID))
}

/// The extractor over one user message.
func extract(_ content: String, in zoneID: String = "UTC") -> [ExtractedMemory] {
    extract([user(content)], in: zoneID)
}
