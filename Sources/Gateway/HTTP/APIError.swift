import Foundation
public import Hummingbird
import NIOCore

/// An error the API answers with, in OpenAI's shape:
/// `{"error": {"message", "type", "param", "code", "request_id"}}`.
/// Messages describe the problem, never echo request bodies or secrets.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// OpenAI's error class: `invalid_request_error`, `authentication_error`, …
    public var type: String
    /// A stable machine-readable code, documented in docs/api.md.
    public var code: String
    public var message: String
    /// The offending request field, when there is one.
    public var param: String?
    /// Seconds to wait before retrying (429, 503).
    public var retryAfter: Int?

    public init(
        status: HTTPResponse.Status, type: String, code: String, message: String, param: String? = nil, retryAfter: Int? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
    }

    static func invalid(_ message: String, param: String? = nil, code: String = "invalid_value") -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, message: message, param: param)
    }

    static func nulCharacter(param: String) -> APIError {
        .invalid("\(param) must not contain NUL (U+0000) characters", param: param, code: "nul_character")
    }

    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: .notFound, type: "invalid_request_error", code: code, message: message)
    }

    static func unauthenticated(_ message: String) -> APIError {
        APIError(status: .unauthorized, type: "authentication_error", code: "invalid_api_key", message: message)
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, type: "permission_error", code: "insufficient_scope", message: message)
    }

    static func unavailable(_ message: String, code: String, retryAfter: Int? = 1) -> APIError {
        APIError(status: .serviceUnavailable, type: "server_error", code: code, message: message, retryAfter: retryAfter)
    }

    static func timeout(_ message: String, code: String) -> APIError {
        APIError(status: .gatewayTimeout, type: "server_error", code: code, message: message)
    }

    static func internalError() -> APIError {
        APIError(status: .internalServerError, type: "server_error", code: "internal_error",
                 message: "internal error; quote the request id when reporting it")
    }

    /// The JSON response, tagged with the request id.
    func response(requestID: String) -> Response {
        var error: [String: Any] = ["message": message, "type": type, "code": code, "request_id": requestID]
        error["param"] = param ?? NSNull()
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
