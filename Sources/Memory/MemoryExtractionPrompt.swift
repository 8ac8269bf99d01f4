public import Contracts
public import Foundation

/// The LLM extraction prompt (`Prompts/extract_memories.v4.md`, compiled in) and the JSON
/// schema its answer must follow. The version is part of every memorize result, so a
/// changed prompt is a new file and a new version, never an edit in place.
public enum MemoryExtractionPrompt {
    public static let version = "extract_memories.v4"

    /// A memory the user already has, shown to the model under a short key (`K1`): the
    /// model cites keys, which cannot be mistaken for ids it invents.
    public struct Known: Sendable, Equatable {
        public var key: String
        public var id: String
        public var text: String

        public init(key: String, id: String, text: String) {
            self.key = key
            self.id = id
            self.text = text
        }

        /// `K1`, `K2`… for the memories in this order.
        public static func keyed(_ memories: [(id: String, text: String)]) -> [Known] {
            memories.enumerated().map { Known(key: "K\($0.offset + 1)", id: $0.element.id, text: $0.element.text) }
        }
    }

    /// The system prompt, then the conversation as one user message, one line per message:
    /// its index (what the answer's `message_indices` refer to), role, speaker name when
    /// present, time when known. Times are shown in the user's zone (nil = not known, UTC)
    /// so "tomorrow at 5pm" resolves to their 5pm. The known memories follow, one per line.
    public static func messages(
        for conversation: [MemorizeJob.Message], reference: Date, timeZone: TimeZone?, known: [Known] = []
    ) -> [ChatMessage] {
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
        let memories = known.isEmpty ? "(none)" : known.map { "[\($0.key)] \($0.text)" }.joined(separator: "\n")
        return [
            ChatMessage(role: "system", content: system),
            ChatMessage(role: "user", content: "\(transcript)\n\nKnown memories:\n\(memories)"),
        ]
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
                    "required": .array(
                        ["type", "text", "categories", "happened_at", "message_indices", "action", "target"].map(JSONValue.string)),
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
                        "action": .object([
                            "type": .string("string"), "enum": .array(["add", "reinforce", "supersede", "ignore"].map(JSONValue.string)),
                        ]),
                        // A key shown under "Known memories": checked by `MemoryExtractionOutput.parse`.
                        "target": .object(["type": .array([.string("string"), .string("null")])]),
                    ]),
                ]),
            ]),
        ]),
    ])

    static let template = String(decoding: PackageResources.extract_memories_v4_md, as: UTF8.self)
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
