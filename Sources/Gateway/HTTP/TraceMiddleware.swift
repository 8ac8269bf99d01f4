import Contracts
import Hummingbird
import WorkerRuntime

/// Every request is a hop of a W3C trace: the caller's `traceparent`/`tracestate`
/// continue (a malformed one is ignored and a new trace starts), and what the request
/// publishes or calls carries the trace on (`TraceContext.current`). Log lines of the
/// request carry `trace_id` and `span_id`.
struct TraceMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = TraceContext.parse(
            traceparent: request.headers[.init(WireHeader.traceparent)!], tracestate: request.headers[.init(WireHeader.tracestate)!])
        let trace = incoming?.child() ?? .start()
        var context = context
        context.logger.trace(trace)
        return try await TraceContext.$current.withValue(trace) { try await next(request, context) }
    }
}
