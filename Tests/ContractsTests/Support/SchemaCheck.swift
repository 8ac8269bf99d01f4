import Contracts
import Foundation

/// A small, independent reading of our `JSONSchema` against a decoded JSON value: types,
/// const/enum, lengths and bounds, properties and required. It keeps the schema honest
/// without Python; `PythonJSONSchemaTests` adds a real validator when one is installed.
struct SchemaCheck {
    struct Property {
        let path: JSONTree.Path
        let required: Bool
    }

    private(set) var issues: [String] = []
    /// Schema property paths seen in the value, arrays written `[]` (`payload.items[].text`).
    private(set) var covered: Set<String> = []
    /// Every property present in the value, with its real path (first array element only).
    private(set) var properties: [Property] = []

    init(_ value: Any, against schema: JSONSchema) {
        walk(value, schema, path: [], schemaPath: "")
    }

    /// Every property path a schema declares, arrays written `[]`; maps are not entered.
    static func declaredProperties(of schema: JSONSchema, at prefix: String = "") -> Set<String> {
        var paths: Set<String> = []
        for (name, child) in schema.properties ?? [:] {
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            paths.insert(path)
            paths.formUnion(declaredProperties(of: child, at: path))
        }
        if let items = schema.items {
            paths.formUnion(declaredProperties(of: items, at: "\(prefix)[]"))
        }
        return paths
    }

    private mutating func walk(_ value: Any, _ schema: JSONSchema, path: JSONTree.Path, schemaPath: String) {
        let here = JSONTree.describe(path).isEmpty ? "(root)" : JSONTree.describe(path)
        if schema.ref != nil { issues.append("\(here): $ref is not supported by this check") }

        let type = JSONTree.instanceType(of: value)
        let allowed = schema.types.map(\.rawValue)
        if !allowed.isEmpty, !allowed.contains(type), !(type == "integer" && allowed.contains("number")) {
            issues.append("\(here): \(type) is not \(allowed)")
            return
        }
        if let constant = schema.const, !Self.matches(value, constant) {
            issues.append("\(here): not the constant \(constant)")
        }
        if let values = schema.enumValues, !values.contains(where: { Self.matches(value, $0) }) {
            issues.append("\(here): not one of \(values)")
        }

        switch value {
        case let text as String:
            let length = text.unicodeScalars.count
            if let min = schema.minLength, length < min { issues.append("\(here): shorter than \(min)") }
            if let max = schema.maxLength, length > max { issues.append("\(here): longer than \(max)") }
        case let object as [String: Any]:
            walkObject(object, schema, path: path, schemaPath: schemaPath)
        case let array as [Any]:
            if let min = schema.minItems, array.count < min { issues.append("\(here): fewer than \(min) items") }
            if let max = schema.maxItems, array.count > max { issues.append("\(here): more than \(max) items") }
            if let items = schema.items {
                for (index, element) in array.enumerated() {
                    walk(element, items, path: path + [.index(index)], schemaPath: "\(schemaPath)[]")
                }
            }
        case let number as NSNumber:
            if let min = schema.minimum, number.intValue < min { issues.append("\(here): below \(min)") }
            if let max = schema.maximum, number.intValue > max { issues.append("\(here): above \(max)") }
        default:
            break
        }
    }

    private mutating func walkObject(_ object: [String: Any], _ schema: JSONSchema, path: JSONTree.Path, schemaPath: String) {
        let here = JSONTree.describe(path).isEmpty ? "(root)" : JSONTree.describe(path)
        for name in schema.required ?? [] where object[name] == nil {
            issues.append("\(here): required \(name) is missing")
        }
        if let declared = schema.properties {
            for (name, child) in object.sorted(by: { $0.key < $1.key }) {
                guard let childSchema = declared[name] else {
                    issues.append("\(here): \(name) is not in the schema")
                    continue
                }
                let childSchemaPath = schemaPath.isEmpty ? name : "\(schemaPath).\(name)"
                covered.insert(childSchemaPath)
                // Record each property once, from the first array element.
                if !path.contains(where: { if case .index(let index) = $0 { index > 0 } else { false } }) {
                    properties.append(Property(path: path + [.key(name)], required: schema.requires(name)))
                }
                walk(child, childSchema, path: path + [.key(name)], schemaPath: childSchemaPath)
            }
        } else if case .schema(let values) = schema.additionalProperties {
            for (name, child) in object {
                walk(child, values, path: path + [.key(name)], schemaPath: "\(schemaPath).*")
            }
        }
    }

    private static func matches(_ value: Any, _ expected: JSONSchema.Value) -> Bool {
        switch expected {
        case .string(let text): (value as? String) == text
        case .integer(let number): JSONTree.instanceType(of: value) == "integer" && (value as? NSNumber)?.intValue == number
        case .boolean(let flag): (value as? Bool) == flag
        case .null: value is NSNull
        }
    }
}
