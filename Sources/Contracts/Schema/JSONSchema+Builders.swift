extension JSONSchema {
    /// An object with these properties; `required` names the ones that must be present.
    public static func object(
        _ properties: [String: JSONSchema],
        required: [String] = [],
        additionalProperties: AdditionalProperties? = nil,
        description: String? = nil
    ) -> JSONSchema {
        precondition(Set(required).isSubset(of: properties.keys), "required names an undeclared property")
        var schema = JSONSchema(types: [.object])
        schema.properties = properties
        schema.required = required.sorted()
        schema.additionalProperties = additionalProperties
        schema.description = description
        return schema
    }

    /// An object used as a map: any keys, every value matching `values`.
    public static func map(values: JSONSchema, description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [.object])
        schema.additionalProperties = .schema(values)
        schema.description = description
        return schema
    }

    public static func string(
        format: String? = nil,
        minLength: Int? = nil,
        maxLength: Int? = nil,
        description: String? = nil
    ) -> JSONSchema {
        var schema = JSONSchema(types: [.string])
        schema.format = format
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.description = description
        return schema
    }

    /// A string that must be one of `values`.
    public static func string(oneOf values: [String], description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [.string])
        schema.enumValues = values.map(Value.string)
        schema.description = description
        return schema
    }

    /// A non-empty string: ids, names.
    public static func identifier(_ description: String? = nil, maxLength: Int? = nil) -> JSONSchema {
        .string(minLength: 1, maxLength: maxLength, description: description)
    }

    /// An RFC 3339 timestamp, as `WireJSON` writes it.
    public static func timestamp(_ description: String? = nil) -> JSONSchema {
        .string(format: "date-time", description: description)
    }

    public static func integer(minimum: Int? = nil, maximum: Int? = nil, description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [.integer])
        schema.minimum = minimum
        schema.maximum = maximum
        schema.description = description
        return schema
    }

    public static func number(minimum: Int? = nil, description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [.number])
        schema.minimum = minimum
        schema.description = description
        return schema
    }

    public static func boolean(description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [.boolean])
        schema.description = description
        return schema
    }

    public static func array(
        of items: JSONSchema,
        minItems: Int? = nil,
        maxItems: Int? = nil,
        description: String? = nil
    ) -> JSONSchema {
        var schema = JSONSchema(types: [.array])
        schema.items = items
        schema.minItems = minItems
        schema.maxItems = maxItems
        schema.description = description
        return schema
    }

    /// Exactly this value (`const`), typed accordingly.
    public static func constant(_ value: Value, description: String? = nil) -> JSONSchema {
        var schema = JSONSchema(types: [value.instanceType])
        schema.const = value
        schema.description = description
        return schema
    }

    /// A reference, e.g. `#/$defs/trace_context`.
    public static func ref(_ target: String) -> JSONSchema {
        var schema = JSONSchema()
        schema.ref = target
        return schema
    }

    /// The same schema, also accepting `null`: how optional fields are written, since
    /// other languages often send `null` for "absent". Decoding treats both alike.
    public func nullable() -> JSONSchema {
        var schema = self
        if !schema.types.isEmpty, !schema.types.contains(.null) { schema.types.append(.null) }
        if let values = schema.enumValues, !values.contains(.null) { schema.enumValues = values + [.null] }
        return schema
    }

    /// The same schema with a description.
    public func described(_ text: String) -> JSONSchema {
        var schema = self
        schema.description = text
        return schema
    }

    /// True when `required` lists `name`.
    public func requires(_ name: String) -> Bool {
        required?.contains(name) ?? false
    }
}

extension JSONSchema.Value {
    public var instanceType: JSONSchema.InstanceType {
        switch self {
        case .string: .string
        case .integer: .integer
        case .boolean: .boolean
        case .null: .null
        }
    }
}
