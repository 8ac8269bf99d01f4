import Foundation
import Hummingbird
import Logging
import Storage


/// `Authorization: Bearer <key>` → the key's tenant. Before any database read: the key's
/// shape is checked, and a client address with too many failed attempts this minute is
/// refused (429) unless its key is already verified (cached).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let keys: KeyCache
    let failures: AuthFailureLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthenticated("missing API key: send Authorization: Bearer <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.unauthenticated("malformed Authorization header: expected Bearer <key>")
        }
        let secret = String(parts[1])
        guard APIKeyRepository.isWellFormed(secret) else { throw Self.invalidKey }
        let digest = APIKeyRepository.digest(secret)
        let client = failures.client(peer: context.peerAddress, forwardedFor: request.headers[.init("X-Forwarded-For")!])
        var principal = keys.cached(digest)
        if principal == nil {
            if let retryAfter = failures.retryAfter(for: client) {
                throw APIError(
                    status: .tooManyRequests, type: "rate_limit_error", code: "too_many_auth_failures",
                    message: "too many requests with invalid API keys from this address; wait before trying again",
                    retryAfter: retryAfter)
            }
            do {
                principal = try await keys.principal(for: digest, logger: context.logger)
            } catch {
                context.logger.warning("key lookup failed", metadata: ["error": "\(error)"])
                throw APIError.unavailable("cannot verify API keys right now", code: "auth_unavailable")
            }
        }
        guard let principal else {
            failures.recordFailure(of: client)
            throw Self.invalidKey
        }
        var context = context
        context.principal = principal
        context.caller.tenantID = principal.tenantID
        context.logger[metadataKey: "tenant.id"] = "\(principal.tenantID)"
        return try await next(request, context)
    }

    private static let invalidKey = APIError.unauthenticated("invalid or revoked API key")
}
