import Foundation
public import Hummingbird
import Logging
public import Storage
import Synchronization

/// `Authorization: Bearer <key>` → the key's tenant. Verified keys are remembered for a
/// short time so the hot path costs no database read; a revoked key stops working
/// within that time.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    final class KeyCache: Sendable {
        private struct Entry {
            var principal: APIKeyRepository.Principal?
            var expires: ContinuousClock.Instant
        }

        private let repository: APIKeyRepository
        private let ttl: Duration
        private let entries = Mutex<[String: Entry]>([:])
        /// Bounds memory under a flood of random keys.
        private let capacity = 10_000

        init(repository: APIKeyRepository, ttl: Duration) {
            self.repository = repository
            self.ttl = ttl
        }

        func principal(for secret: String, logger: Logger) async throws -> APIKeyRepository.Principal? {
            let now = ContinuousClock.now
            if let entry = entries.withLock({ $0[secret] }), entry.expires > now { return entry.principal }
            let principal = try await repository.authenticate(secret: secret, logger: logger)
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[secret] = Entry(principal: principal, expires: now + ttl)
            }
            return principal
        }
    }

    let keys: KeyCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthenticated("missing API key: send Authorization: Bearer <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.unauthenticated("malformed Authorization header: expected Bearer <key>")
        }
        let principal: APIKeyRepository.Principal?
        do {
            principal = try await keys.principal(for: String(parts[1]), logger: context.logger)
        } catch {
            context.logger.warning("key lookup failed", metadata: ["error": "\(error)"])
            throw APIError.unavailable("cannot verify API keys right now", code: "auth_unavailable")
        }
        guard let principal else { throw APIError.unauthenticated("invalid or revoked API key") }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "tenant.id"] = "\(principal.tenantID)"
        return try await next(request, context)
    }
}
