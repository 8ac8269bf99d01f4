public import Tracing

/// Spans of memgrid's traces, recorded by the tracer a process runs with (OTel's OTLP
/// exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_TRACES_EXPORTER` is set). Without
/// one, a span costs a task-local read and the trace context still travels
/// (`TraceContext.current`): logs and downstream systems keep the caller's trace id.
///
/// The tracer is task-local rather than `InstrumentationSystem`'s global so that several
/// in-process systems (tests, benchmarks) can each run with their own, or none.
public enum Telemetry {
    // The checks in front of `record` are inlined into callers: without a tracer, a hop
    // or span costs a task-local read (`make bench-queue`); names are built only for a
    // span that is recorded.
    @TaskLocal public static var tracer: (any Tracer)?

    /// Runs `body` as one hop of a trace: a request served, a job or RPC request handled.
    /// `parent` is the caller's context; without one the hop starts a trace only if
    /// `startsTrace` (the gateway does; a worker handles an untraced job untraced).
    @inlinable public static func withHop<T>(
        _ name: @autoclosure () -> String, kind: SpanKind, parent: TraceContext?, startsTrace: Bool = false,
        _ body: ((any Span)?) async throws -> T
    ) async rethrows -> T {
        guard parent != nil || startsTrace else { return try await body(nil) }
        guard let tracer else {
            return try await TraceContext.$current.withValue(parent?.child() ?? .start()) { try await body(nil) }
        }
        return try await record(name(), kind: kind, parent: parent, tracer: tracer, body)
    }

    /// Runs `body` in a span, a child of the current trace's: nothing without a tracer or
    /// outside a trace.
    @inlinable public static func withSpan<T>(
        _ name: @autoclosure () -> String, kind: SpanKind = .internal, _ body: ((any Span)?) async throws -> T
    ) async rethrows -> T {
        guard let tracer, let parent = TraceContext.current else { return try await body(nil) }
        return try await record(name(), kind: kind, parent: parent, tracer: tracer, body)
    }

    /// A PostgreSQL or Redis call as a client span (database semantic conventions).
    public static func withDatabaseSpan<T>(
        _ system: String, operation: String, collection: String, _ body: () async throws -> T
    ) async rethrows -> T {
        try await withSpan("\(operation) \(collection)", kind: .client) { span in
            span?.attributes["db.system.name"] = system
            span?.attributes["db.operation.name"] = operation
            span?.attributes["db.collection.name"] = collection
            return try await body()
        }
    }

    /// Links `span` to another trace it also works for (one batch serving several jobs).
    public static func link(_ span: (any Span)?, to trace: TraceContext) {
        guard let span, let tracer else { return }
        var context = ServiceContext.topLevel
        tracer.extract(trace, into: &context, using: TraceContextExtractor())
        span.addLink(SpanLink(context: context, attributes: [:]))
    }

    /// The span's context becomes `TraceContext.current` for `body`, so what it publishes
    /// or calls names this span as parent. An error ends the span with status error.
    @usableFromInline static func record<T>(
        _ name: String, kind: SpanKind, parent: TraceContext?, tracer: any Tracer,
        _ body: ((any Span)?) async throws -> T
    ) async rethrows -> T {
        var context = ServiceContext.topLevel
        if let parent { tracer.extract(parent, into: &context, using: TraceContextExtractor()) }
        let span = tracer.startSpan(name, context: context, ofKind: kind)
        defer { span.end() }
        var current = TraceContext(traceparent: "")
        tracer.inject(span.context, into: &current, using: TraceContextInjector())
        do {
            return try await TraceContext.$current.withValue(current.traceparent.isEmpty ? parent : current) {
                try await body(span)
            }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }
}

/// The tracer's propagator reads and writes `TraceContext` as it would HTTP headers.
private struct TraceContextExtractor: Extractor {
    func extract(key: String, from carrier: TraceContext) -> String? {
        switch key {
        case WireHeader.traceparent: carrier.traceparent
        case WireHeader.tracestate: carrier.tracestate
        default: nil
        }
    }
}

private struct TraceContextInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout TraceContext) {
        switch key {
        case WireHeader.traceparent: carrier.traceparent = value
        case WireHeader.tracestate: carrier.tracestate = value.isEmpty ? nil : value
        default: break
        }
    }
}
