extension JSONSchema: Encodable {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(schemaDialect, forKey: Key("$schema"))
        try container.encodeIfPresent(title, forKey: Key("title"))
        try container.encodeIfPresent(description, forKey: Key("description"))
        try container.encodeIfPresent(ref, forKey: Key("$ref"))
        try container.encodeIfPresent(defs, forKey: Key("$defs"))
        // One type is written as a string, a union as an array: both are valid, the
        // string is what people expect to read.
        if types.count == 1 {
            try container.encode(types[0], forKey: Key("type"))
        } else if !types.isEmpty {
            try container.encode(types, forKey: Key("type"))
        }
        try container.encodeIfPresent(const, forKey: Key("const"))
        try container.encodeIfPresent(enumValues, forKey: Key("enum"))
        try container.encodeIfPresent(format, forKey: Key("format"))
        try container.encodeIfPresent(minLength, forKey: Key("minLength"))
        try container.encodeIfPresent(maxLength, forKey: Key("maxLength"))
        try container.encodeIfPresent(pattern, forKey: Key("pattern"))
        try container.encodeIfPresent(minimum, forKey: Key("minimum"))
        try container.encodeIfPresent(maximum, forKey: Key("maximum"))
        try container.encodeIfPresent(properties, forKey: Key("properties"))
        if let required, !required.isEmpty {
            try container.encode(required, forKey: Key("required"))
        }
        try container.encodeIfPresent(additionalProperties, forKey: Key("additionalProperties"))
        try container.encodeIfPresent(items, forKey: Key("items"))
        try container.encodeIfPresent(minItems, forKey: Key("minItems"))
        try container.encodeIfPresent(maxItems, forKey: Key("maxItems"))
    }
}

extension JSONSchema.Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension JSONSchema.AdditionalProperties: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .allowed(let allowed): try container.encode(allowed)
        case .schema(let schema): try container.encode(schema)
        }
    }
}
