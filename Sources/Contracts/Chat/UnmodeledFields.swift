/// The members of a JSON object that a type does not model, kept as they came. Chat
/// requests and answers carry them so that what a client or a provider sends that
/// memgrid has no use for (tools, `logprobs`, `reasoning_content`, a provider's own
/// options) reaches the other side unchanged.
public typealias UnmodeledFields = [String: JSONValue]

/// Any member name, for reading and writing the members a type does not list.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSONValue {
    /// The members of the object being decoded whose names are not among `Modeled`'s.
    static func unmodeled<Modeled: CodingKey & CaseIterable>(
        in decoder: any Decoder, besides _: Modeled.Type
    ) throws -> UnmodeledFields {
        let modeled = Set(Modeled.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        var fields: UnmodeledFields = [:]
        for key in container.allKeys where !modeled.contains(key.stringValue) {
            fields[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        return fields
    }

    /// Writes `fields` as members of the object being encoded, beside the modeled ones.
    static func encode(_ fields: UnmodeledFields, to encoder: any Encoder) throws {
        guard !fields.isEmpty else { return }
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for (name, value) in fields { try container.encode(value, forKey: AnyCodingKey(stringValue: name)) }
    }

    /// The object's members; nil for any other value.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { members } else { nil }
    }

    public var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }
}
