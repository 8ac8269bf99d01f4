import Foundation

/// Untyped JSON (JSONSerialization's `Any`) and path edits on it, to derive broken or
/// extended variants of the golden samples.
enum JSONTree {
    enum Step: Hashable, CustomStringConvertible {
        case key(String)
        case index(Int)

        var description: String {
            switch self {
            case .key(let key): ".\(key)"
            case .index(let index): "[\(index)]"
            }
        }
    }

    typealias Path = [Step]

    static func describe(_ path: Path) -> String {
        String(path.map(\.description).joined().drop(while: { (character: Character) in character == "." }))
    }

    static func parse(_ data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    static func data(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }

    /// `root` with the value at `path` replaced (`nil` removes an object key).
    static func setting(_ path: Path, to newValue: Any?, in root: Any) -> Any {
        guard let step = path.first else { return newValue ?? NSNull() }
        let rest = Array(path.dropFirst())
        switch step {
        case .key(let key):
            guard var object = root as? [String: Any] else { return root }
            if rest.isEmpty, newValue == nil {
                object.removeValue(forKey: key)
            } else {
                object[key] = setting(rest, to: newValue, in: object[key] ?? [String: Any]())
            }
            return object
        case .index(let index):
            guard var array = root as? [Any], array.indices.contains(index) else { return root }
            array[index] = setting(rest, to: newValue, in: array[index])
            return array
        }
    }

    static func removing(_ path: Path, from root: Any) -> Any {
        setting(path, to: nil, in: root)
    }

    static func instanceType(of value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "string"
        case is [String: Any]: "object"
        case is [Any]: "array"
        // JSONSerialization gives booleans as NSNumber too; their ObjC type is `c` (char).
        case let number as NSNumber where String(cString: number.objCType) == "c": "boolean"
        case let number as NSNumber: Double(number.int64Value) == number.doubleValue ? "integer" : "number"
        default: "unknown"
        }
    }
}
