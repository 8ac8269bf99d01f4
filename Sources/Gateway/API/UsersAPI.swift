import Cache
import Contracts
import Hummingbird
import Logging
import Storage

/// `DELETE /v1/users/{user_id}`: erasure. Everything memgrid holds for the user in the
/// caller's tenant goes (`UserErasure`), including the cached vectors of the user's
/// texts; the answer counts what each store removed and one `user.erased` event follows.
/// Erasing a user memgrid knows nothing of removes nothing and succeeds.
struct UsersAPI: Sendable {
    struct Erased: Encodable {
        var object = "user.erased"
        var userID: String
        var removed: UserErased.Removed

        enum CodingKeys: String, CodingKey {
            case object, removed
            case userID = "user_id"
        }
    }

    let erasure: UserErasure
    let cache: EmbeddingCache

    func register(on router: RouterGroup<GatewayContext>) {
        router.delete("/users/{user_id}", use: erase)
    }

    func erase(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let userID = try context.parameters.require("user_id")
        try IDRules.check(userID, param: "user_id")
        let cache = cache
        let removed: UserErased.Removed
        do {
            removed = try await erasure.erase(tenantID: tenantID, userID: userID, requestID: context.id, logger: context.logger) {
                texts, spaces in try await cache.remove(texts: texts, tenantID: tenantID, spaces: spaces)
            }
        } catch is RedisClient.Error {
            // Nothing was removed (the transaction rolled back): safe to retry.
            throw APIError.unavailable("the embedding cache is unreachable; nothing was erased, retry later", code: "cache_unavailable", retryAfter: 5)
        }
        context.logger.info("user erased", metadata: ["user.id": "\(userID)", "memories": "\(removed.memories)"])
        return try .json(Erased(userID: userID, removed: removed))
    }
}
