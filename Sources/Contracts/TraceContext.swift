import W3CTraceContext

/// W3C trace context carried with every job, RPC request and event, so a trace spans
/// gateway, broker, workers and the calls they make. Travels both in the envelope and as
/// the `traceparent`/`tracestate` AMQP headers (docs/contracts.md).
public struct TraceContext: Codable, Hashable, Sendable {
    public var traceparent: String
    public var tracestate: String?

    public init(traceparent: String, tracestate: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }

    /// The trace the current task works for: set by the gateway for a request and by a
    /// worker for a job or RPC request; what is published or called meanwhile carries it.
    @TaskLocal public static var current: TraceContext?

    /// A valid incoming context (version 00, non-zero ids, a well-formed `tracestate`);
    /// nil for anything else, which starts a new trace instead.
    public static func parse(traceparent: String?, tracestate: String?) -> TraceContext? {
        guard let traceparent, let context = try? W3CTraceContext.TraceContext(
            traceParentHeaderValue: traceparent, traceStateHeaderValue: tracestate)
        else { return nil }
        return TraceContext(context)
    }

    /// A new trace, sampled: memgrid records what it is asked to, the collector decides.
    public static func start() -> TraceContext {
        TraceContext(W3CTraceContext.TraceContext(traceID: .random(), spanID: .random(), flags: .sampled, state: TraceState()))
    }

    /// This trace with a new span id: the next hop (a request handled, a job run) as a
    /// child of the one that sent it. A malformed stored value starts a new trace.
    public func child() -> TraceContext {
        guard let context = parsed else { return Self.start() }
        return TraceContext(W3CTraceContext.TraceContext(traceID: context.traceID, spanID: .random(), flags: context.flags, state: context.state))
    }

    /// The W3C headers that carry this context on an HTTP call (webhooks, providers).
    public var httpHeaders: [(name: String, value: String)] {
        [(WireHeader.traceparent, traceparent)] + (tracestate.map { [(WireHeader.tracestate, $0)] } ?? [])
    }

    /// The 32 hex digits that name the trace (log field `trace_id`).
    public var traceID: String? { ids?.trace }

    /// The 16 hex digits of this hop (log field `span_id`).
    public var spanID: String? { ids?.span }

    /// Both ids, from one parse.
    public var ids: (trace: String, span: String)? { parsed.map { ("\($0.traceID)", "\($0.spanID)") } }

    private var parsed: W3CTraceContext.TraceContext? {
        try? W3CTraceContext.TraceContext(traceParentHeaderValue: traceparent, traceStateHeaderValue: tracestate)
    }

    private init(_ context: W3CTraceContext.TraceContext) {
        traceparent = context.traceParentHeaderValue
        tracestate = context.traceStateHeaderValue
    }
}
