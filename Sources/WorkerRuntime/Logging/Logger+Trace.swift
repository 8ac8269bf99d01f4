public import Contracts
public import Logging

extension Logger {
    /// Adds `trace_id` and `span_id` of `trace`, so a log line joins its trace.
    public mutating func trace(_ trace: TraceContext?) {
        guard let ids = trace?.ids else { return }
        self[metadataKey: "trace_id"] = "\(ids.trace)"
        self[metadataKey: "span_id"] = "\(ids.span)"
    }
}

extension Logger.MetadataProvider {
    /// `trace_id` and `span_id` of the current task's trace, on every log line.
    public static let trace = Logger.MetadataProvider {
        guard let ids = TraceContext.current?.ids else { return [:] }
        return ["trace_id": "\(ids.trace)", "span_id": "\(ids.span)"]
    }
}
