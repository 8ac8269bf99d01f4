import Hummingbird
import Logging
import Synchronization

/// One info line per request: method, route template, status, duration, request id and
/// the caller's tenant once authenticated. Never a body, a query string or a key.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        // The edge middleware inside turns every error into a response, so this sees them all.
        let response = try await next(request, context)
        guard context.logger.logLevel <= .info else { return response }
        var metadata: Logger.Metadata = [
            "http.method": "\(request.method.rawValue)",
            "http.route": "\(context.endpointPath ?? "unmatched")",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(Self.milliseconds(ContinuousClock.now - start))",
        ]
        if let id = response.headers[.init("x-request-id")!] { metadata["request.id"] = "\(id)" }
        if let tenant = context.caller.tenantID { metadata["tenant.id"] = "\(tenant)" }
        context.logger.info("request", metadata: metadata)
        return response
    }

    /// Milliseconds with three decimals; integer arithmetic, as `String(format:)` cost more
    /// than the rest of the line (`make bench-gateway`).
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// Who made the request, as learned inside the middleware chain (`AuthMiddleware`) and
/// read outside it (the access log): the context is passed by value, this is shared.
final class RequestCaller: Sendable {
    private let tenant = Mutex<String?>(nil)

    var tenantID: String? {
        get { tenant.withLock { $0 } }
        set { tenant.withLock { $0 = newValue } }
    }
}
