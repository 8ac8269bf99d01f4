public import Contracts
public import Logging

extension Logger {
    /// Adds `trace_id` and `span_id` of `trace`, so a log line joins its trace.
    public mutating func trace(_ trace: TraceContext?) {
        guard let trace, let traceID = trace.traceID, let spanID = trace.spanID else { return }
        self[metadataKey: "trace_id"] = "\(traceID)"
        self[metadataKey: "span_id"] = "\(spanID)"
    }
}

extension Logger.MetadataProvider {
    /// `trace_id` and `span_id` of the current task's trace, on every log line.
    public static let trace = Logger.MetadataProvider {
        guard let trace = TraceContext.current, let traceID = trace.traceID, let spanID = trace.spanID else { return [:] }
        return ["trace_id": "\(traceID)", "span_id": "\(spanID)"]
    }
}
