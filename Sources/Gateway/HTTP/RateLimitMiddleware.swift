import Cache
import Foundation
public import Hummingbird
import Logging
import Storage

/// Per-key request rate limit shared by every gateway replica: a counter per key and
/// minute in Redis (INCR + EXPIRE in one round trip). Over the limit → 429 with
/// `Retry-After` (seconds to the next minute). Redis down → `onRedisFailure`: `open`
/// lets requests pass (logged; the default, since refusing all traffic is usually worse
/// than not limiting it for a while), `closed` answers 503.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let redis: RedisClient
    let perMinute: Int
    let prefix: String
    let onRedisFailure: RedisFailurePolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard perMinute > 0, let principal = context.principal else { return try await next(request, context) }
        let now = Date().timeIntervalSince1970
        let minute = Int(now / 60)
        let key = "\(prefix):ratelimit:\(principal.keyID.uuidString):\(minute)"
        do {
            let replies = try await redis.pipeline([["INCR", RedisArgument(key)], ["EXPIRE", RedisArgument(key), 120]])
            if case .integer(let count) = replies.first, count > perMinute {
                let retryAfter = max(1, Int((Double(minute + 1) * 60 - now).rounded(.up)))
                throw APIError(
                    status: .tooManyRequests, type: "rate_limit_error", code: "rate_limit_exceeded",
                    message: "rate limit of \(perMinute) requests per minute exceeded for this key", retryAfter: retryAfter)
            }
        } catch let error as APIError {
            throw error
        } catch {
            guard onRedisFailure == .open else {
                context.logger.warning("rate limiter unavailable; request refused", metadata: ["error": "\(error)"])
                throw APIError.unavailable("the rate limiter is unreachable; retry later", code: "rate_limiter_unavailable", retryAfter: 5)
            }
            context.logger.warning("rate limiter unavailable; request allowed", metadata: ["error": "\(error)"])
        }
        return try await next(request, context)
    }
}
