public import Contracts
public import Foundation

/// The LLM extraction prompt (`Prompts/extract_memories.v3.md`, compiled in) and the JSON
/// schema its answer must follow. The version is part of every memorize result, so a
/// changed prompt is a new file and a new version, never an edit in place.
public enum MemoryExtractionPrompt {
    public static let version = "extract_memories.v3"

    /// The system prompt, then the conversation as one user message, one line per message:
    /// its index (what the answer's `message_indices` refer to), role, speaker name when
    /// present, time when known. Times are shown in the user's zone (nil = not known, UTC)
    /// so "tomorrow at 5pm" resolves to their 5pm.
    public static func messages(for conversation: [MemorizeJob.Message], reference: Date, timeZone: TimeZone?) -> [ChatMessage] {
        let local = LocalTime(timeZone ?? .gmt)
        let system = template
            .replacingOccurrences(of: "{{categories}}", with: MemoryCategory.allCases.map(\.rawValue).joined(separator: ", "))
            .replacingOccurrences(of: "{{reference_time}}", with: local.timestamp(reference))
            .replacingOccurrences(of: "{{reference_weekday}}", with: local.weekday(reference))
            .replacingOccurrences(of: "{{time_zone}}", with: timeZone.map(\.identifier) ?? "UTC; the user's own zone is not known")
        let transcript = conversation.enumerated().map { index, message in
            let name = message.name.map { " \($0)" } ?? ""
            let time = message.createdAt.map { " (\(local.timestamp($0)))" } ?? ""
            return "[\(index)] \(message.role.rawValue)\(name)\(time): \(message.content)"
        }.joined(separator: "\n")
        return [ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: transcript)]
    }

    /// OpenAI structured output (`strict`: every field required, nothing else allowed).
    public static let responseFormat = ChatRequest.ResponseFormat.jsonSchema(name: "memories", schema: schema, strict: true)

    static let schema: JSONValue = .object([
        "type": .string("object"),
        "additionalProperties": .bool(false),
        "required": .array([.string("memories")]),
        "properties": .object([
            "memories": .object([
                "type": .string("array"),
                "items": .object([
                    "type": .string("object"),
                    "additionalProperties": .bool(false),
                    "required": .array(["type", "text", "categories", "happened_at", "message_indices"].map(JSONValue.string)),
                    "properties": .object([
                        "type": .object(["type": .string("string"), "enum": .array(MemoryType.allCases.map { .string($0.rawValue) })]),
                        "text": .object(["type": .string("string")]),
                        "categories": .object([
                            "type": .string("array"),
                            "items": .object([
                                "type": .string("string"), "enum": .array(MemoryCategory.allCases.map { .string($0.rawValue) }),
                            ]),
                        ]),
                        "happened_at": .object(["type": .array([.string("string"), .string("null")])]),
                        // At least one, each in range: checked by `MemoryExtractionOutput.parse`
                        // (strict mode on some providers rejects minItems and minimum).
                        "message_indices": .object(["type": .string("array"), "items": .object(["type": .string("integer")])]),
                    ]),
                ]),
            ]),
        ]),
    ])

    static let template = String(decoding: PackageResources.extract_memories_v3_md, as: UTF8.self)
}

/// RFC 3339 with the zone's offset, and the English weekday, of an instant in one zone.
private struct LocalTime {
    let stamps: ISO8601DateFormatter
    let weekdays: DateFormatter

    init(_ zone: TimeZone) {
        stamps = ISO8601DateFormatter()
        stamps.timeZone = zone
        weekdays = DateFormatter()
        weekdays.locale = Locale(identifier: "en_US_POSIX")
        weekdays.timeZone = zone
        weekdays.dateFormat = "EEEE"
    }

    func timestamp(_ date: Date) -> String { stamps.string(from: date) }
    func weekday(_ date: Date) -> String { weekdays.string(from: date) }
}
