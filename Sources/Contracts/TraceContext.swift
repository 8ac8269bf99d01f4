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

    /// Both ids. Read on every log line of a traced task: a version-00 value (what
    /// memgrid writes) is sliced once checked; anything else goes through the parser.
    public var ids: (trace: String, span: String)? {
        if let ids = Self.version00IDs(traceparent) { return ids }
        return parsed.map { ("\($0.traceID)", "\($0.spanID)") }
    }

    /// `00-<32 hex>-<16 hex>-<2 hex>`, lowercase, ids not all zero.
    private static func version00IDs(_ value: String) -> (trace: String, span: String)? {
        let bytes = Array(value.utf8)
        guard bytes.count == 55, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0"),
              bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-")
        else { return nil }
        func lowercaseHex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        }
        func zero(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == UInt8(ascii: "0") } }
        guard lowercaseHex(3..<35), lowercaseHex(36..<52), lowercaseHex(53..<55), !zero(3..<35), !zero(36..<52) else { return nil }
        return (String(decoding: bytes[3..<35], as: UTF8.self), String(decoding: bytes[36..<52], as: UTF8.self))
    }

    private var parsed: W3CTraceContext.TraceContext? {
        try? W3CTraceContext.TraceContext(traceParentHeaderValue: traceparent, traceStateHeaderValue: tracestate)
    }

    private init(_ context: W3CTraceContext.TraceContext) {
        traceparent = context.traceParentHeaderValue
        tracestate = context.traceStateHeaderValue
    }
}
