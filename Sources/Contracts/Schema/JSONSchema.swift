/// A JSON Schema (draft 2020-12) node: just the keywords the wire contract needs.
/// Build with the static helpers (`.object`, `.string`, …) and encode with any
/// `JSONEncoder`; `WireSchemas` renders the published document.
///
/// Objects leave `additionalProperties` open unless told otherwise: consumers must
/// ignore unknown fields, so a publisher may add optional fields within a version.
public struct JSONSchema: Hashable, Sendable {
    /// A JSON instance type (`type` keyword). Several types make a union, e.g. `["string", "null"]`.
    public enum InstanceType: String, Hashable, Sendable, Codable {
        case object, array, string, integer, number, boolean, null
    }

    /// A JSON literal for `const` and `enum`.
    public enum Value: Hashable, Sendable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case null
    }

    /// The `additionalProperties` keyword: open/closed, or a schema every other value must match.
    public indirect enum AdditionalProperties: Hashable, Sendable {
        case allowed(Bool)
        case schema(JSONSchema)
    }

    public var schemaDialect: String?
    public var title: String?
    public var description: String?
    public var ref: String?
    public var defs: [String: JSONSchema]?

    public var types: [InstanceType]
    public var const: Value?
    public var enumValues: [Value]?

    public var format: String?
    public var minLength: Int?
    public var maxLength: Int?
    public var pattern: String?

    public var minimum: Int?
    public var maximum: Int?

    public var properties: [String: JSONSchema]?
    public var required: [String]?
    public var additionalProperties: AdditionalProperties?

    public var minItems: Int?
    public var maxItems: Int?
    /// Schema of every array element. An array rather than an optional so the struct
    /// can contain itself.
    private var itemStorage: [JSONSchema] = []
    public var items: JSONSchema? {
        get { itemStorage.first }
        set { itemStorage = newValue.map { [$0] } ?? [] }
    }

    /// A schema with no keywords besides `type` (none = anything).
    public init(types: [InstanceType] = []) {
        self.types = types
    }

    /// The draft this module writes, for the `$schema` keyword.
    public static let draft202012 = "https://json-schema.org/draft/2020-12/schema"
}
