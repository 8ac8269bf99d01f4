/// One chat message in OpenAI's shape. `content` is text: OpenAI's array of text parts
/// is accepted and joined, since memgrid's providers are text models.
public struct ChatMessage: Codable, Hashable, Sendable {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    public var role: String
    public var content: String
    public var name: String?

    public init(role: String, content: String, name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }

    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    private struct TextPart: Decodable {
        var type: String
        var text: String
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        if let text = try? container.decode(String.self, forKey: .content) {
            content = text
        } else if container.contains(.content), try container.decodeNil(forKey: .content) {
            content = ""   // an assistant message that only called tools
        } else {
            let parts = try container.decode([TextPart].self, forKey: .content)
            guard parts.allSatisfy({ $0.type == "text" }) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .content, in: container, debugDescription: "only text content parts are supported")
            }
            content = parts.map(\.text).joined(separator: "\n")
        }
    }

    enum CodingKeys: String, CodingKey {
        case role, content, name
    }
}
