import Contracts
import Hummingbird
import Tracing
import WorkerRuntime

/// Every request is a hop of a W3C trace: the caller's `traceparent`/`tracestate`
/// continue (a malformed one is ignored and a new trace starts), and what the request
/// publishes or calls carries the trace on (`TraceContext.current`). With a tracer the
/// request is a server span (HTTP semantic conventions). Log lines of the request carry
/// `trace_id` and `span_id`. Liveness probes are left out.
struct TraceMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = TraceContext.parse(
            traceparent: request.headers[.init(WireHeader.traceparent)!], tracestate: request.headers[.init(WireHeader.tracestate)!])
        let route = context.endpointPath ?? "unmatched"
        // Probes every few seconds would bury the requests that matter.
        guard route != OperationsServer.livenessPath else { return try await next(request, context) }
        return try await Telemetry.withHop(
            "\(request.method.rawValue) \(route)", kind: .server, parent: incoming, startsTrace: true
        ) { span in
            var context = context
            context.logger.trace(TraceContext.current)
            span?.attributes["http.request.method"] = request.method.rawValue
            span?.attributes["http.route"] = route
            let response = try await next(request, context)
            span?.attributes["http.response.status_code"] = Int(response.status.code)
            if let tenant = context.caller.tenantID { span?.attributes["memgrid.tenant.id"] = tenant }
            if response.status.code >= 500 { span?.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }
}
