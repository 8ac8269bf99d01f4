/// One chat message in OpenAI's shape. `content` is kept as sent (a string, null for an
/// assistant turn that only called tools, or an array of content parts) and every other
/// member (`tool_calls`, `tool_call_id`, `refusal`, `reasoning_content`, …) rides along
/// in `extra`, so a message reaches the provider, and an answer the client, unchanged.
public struct ChatMessage: Codable, Hashable, Sendable {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    public var role: String
    public var content: JSONValue
    public var name: String?
    public var extra: UnmodeledFields

    public init(role: String, content: String, name: String? = nil, extra: UnmodeledFields = [:]) {
        self.role = role
        self.content = .string(content)
        self.name = name
        self.extra = extra
    }

    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// The text: the string content, or the text parts joined by newlines; "" for none.
    public var text: String {
        switch content {
        case .string(let text): text
        case .array(let parts):
            parts.compactMap { part in
                part.objectValue.flatMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
            }.joined(separator: "\n")
        default: ""
        }
    }

    /// The tool calls of an assistant message, as sent.
    public var toolCalls: [JSONValue]? {
        if case .array(let calls)? = extra["tool_calls"] { calls } else { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        content = try container.decodeIfPresent(JSONValue.self, forKey: .content) ?? .null
        switch content {
        case .string, .null: break
        case .array(let parts) where parts.allSatisfy({ $0.objectValue?["type"]?.stringValue != nil }): break
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .content, in: container,
                debugDescription: "content must be a string, null or an array of content parts (objects with a type)")
        }
        extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encodeIfPresent(name, forKey: .name)
        try JSONValue.encode(extra, to: encoder)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case role, content, name
    }
}
