/// W3C trace context carried with every job, so a trace spans gateway, broker and workers.
/// Travels both in the envelope and as the `traceparent`/`tracestate` AMQP headers.
public struct TraceContext: Codable, Hashable, Sendable {
    public var traceparent: String
    public var tracestate: String?

    public init(traceparent: String, tracestate: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }
}
