import Foundation
public import Hummingbird
public import Logging

/// The outermost middleware: every response carries `x-request-id`, and every error
/// leaves as an `APIError` JSON body — Hummingbird's own errors (404 route, 413 body)
/// mapped to their API codes, anything unexpected logged and answered 500.
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = context.id
        var response: Response
        do {
            try Self.rejectNUL(in: request)
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(requestID: requestID)
        } catch let error as HTTPError {
            response = Self.apiError(for: error).response(requestID: requestID)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = APIError.internalError().response(requestID: requestID)
        }
        response.headers[.init("x-request-id")!] = requestID
        return response
    }

    /// Path segments and query parameters reach PostgreSQL as text, which cannot hold U+0000.
    static func rejectNUL(in request: Request) throws {
        for (name, value) in try request.formQuery() where name.utf8.contains(0) || value.utf8.contains(0) {
            throw APIError.nulCharacter(param: String(name))
        }
        if request.uri.path.removingPercentEncoding?.utf8.contains(0) ?? false {
            throw APIError.nulCharacter(param: "path")
        }
    }

    static func apiError(for error: HTTPError) -> APIError {
        switch error.status {
        case .notFound:
            return .notFound("no such route", code: "unknown_route")
        case .methodNotAllowed:
            return APIError(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed", message: "method not allowed on this route")
        case .contentTooLarge:
            return APIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large", message: "request body too large")
        default:
            return APIError(status: error.status, type: "invalid_request_error", code: "bad_request", message: error.body ?? error.status.reasonPhrase)
        }
    }
}
