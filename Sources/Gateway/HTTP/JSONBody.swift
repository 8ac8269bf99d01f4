import Contracts
import Foundation
public import Hummingbird
import NIOCore

/// The fields a request body may hold, nested. Unknown fields are a 400 (as in
/// OpenAI's API): a typo must not be silently ignored.
indirect enum JSONShape: Sendable {
    /// A JSON object with exactly these optional fields.
    case object([String: JSONShape])
    case array(JSONShape)
    /// Any value; its type is checked by decoding.
    case value
}

/// A request body type with its declared shape.
protocol RequestBody: Decodable {
    static var shape: JSONShape { get }
}

enum JSONBody {
    /// Reads and decodes a JSON body: media type, size, syntax (UTF-8), unknown fields,
    /// then types, each failure a 4xx `APIError` naming the field.
    static func decode<Body: RequestBody>(_ type: Body.Type, from request: Request, limit: Int) async throws -> Body {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIError(
                status: .unsupportedMediaType, type: "invalid_request_error", code: "unsupported_media_type",
                message: "send the body as Content-Type: application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(
                status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                message: "request body larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw APIError.invalid("body is not valid JSON (UTF-8)", code: "invalid_json")
        }
        guard json is [String: Any] else { throw APIError.invalid("body must be a JSON object", code: "invalid_json") }
        try check(json, against: Body.shape, path: "")
        try rejectNUL(in: json, path: "")
        do {
            return try WireJSON.decoder().decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        }
    }

    private static func check(_ value: Any, against shape: JSONShape, path: String) throws {
        switch (shape, value) {
        case (.object(let fields), let object as [String: Any]):
            for key in object.keys.sorted() {
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard let inner = fields[key] else {
                    throw APIError.invalid("unrecognized request argument supplied: \(field)", param: field, code: "unknown_parameter")
                }
                try check(object[key]!, against: inner, path: field)
            }
        case (.array(let element), let array as [Any]):
            for (index, item) in array.enumerated() { try check(item, against: element, path: "\(path)[\(index)]") }
        default:
            break  // wrong kinds are reported by the decoder with their path
        }
    }

    /// PostgreSQL text cannot hold U+0000, so a string (or object key) with one is the
    /// client's error, named by its path, rather than a failed query later.
    private static func rejectNUL(in value: Any, path: String) throws {
        switch value {
        case let string as String where string.utf8.contains(0):
            throw APIError.nulCharacter(param: path)
        case let object as [String: Any]:
            for (key, inner) in object {
                let field = path.isEmpty ? key : "\(path).\(key)"
                if key.utf8.contains(0) { throw APIError.nulCharacter(param: field) }
                try rejectNUL(in: inner, path: field)
            }
        case let array as [Any]:
            for (index, item) in array.enumerated() { try rejectNUL(in: item, path: "\(path)[\(index)]") }
        default:
            break
        }
    }

    private static func describe(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { path, key in
                if let index = key.intValue { return "\(path)[\(index)]" }
                return path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)"
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalid("missing required parameter: \(field)", param: field, code: "missing_parameter")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalid("\(field) has the wrong type (expected \(expected(type)))", param: field, code: "invalid_type")
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return .invalid("\(field) must not be null", param: field, code: "invalid_type")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return .invalid("\(field): \(context.debugDescription)", param: field, code: "invalid_value")
        @unknown default:
            return .invalid("invalid body")
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Double.Type, is Float.Type: "number"
        case is Bool.Type: "boolean"
        case is [Any].Type: "array"
        default: "\(type)".contains("Dictionary") ? "object" : "a different type"
        }
    }
}

extension Response {
    /// A JSON response with the wire encoding (sorted keys, RFC 3339 dates).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireJSON.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
