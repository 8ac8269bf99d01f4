public import Contracts
public import Logging
import OTel
public import ServiceLifecycle
public import Tracing

/// The span exporter a process runs with: OTel's OTLP exporter, configured by the
/// standard `OTEL_*` variables (docs/observability.md). Traces only: logs go to stderr
/// and metrics to `/metrics` as before.
public struct TracingBackend: Sendable {
    public let tracer: any Tracer
    /// Batches and exports the spans; ends after a final flush on graceful shutdown.
    public let service: any Service

    /// An exporter when the environment names one (`OTEL_EXPORTER_OTLP_ENDPOINT`,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_TRACES_EXPORTER` other than `none`,
    /// and `OTEL_SDK_DISABLED` not `true`); nil otherwise: no spans, no cost.
    public static func fromEnvironment(
        _ environment: EnvironmentReader, serviceName: String, logger: Logger
    ) throws -> TracingBackend? {
        let exporter = environment.optionalString("OTEL_TRACES_EXPORTER")
        let wanted = environment.optionalString("OTEL_EXPORTER_OTLP_ENDPOINT") != nil
            || environment.optionalString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil
            || (exporter != nil && exporter != "none")
        guard wanted, environment.optionalString("OTEL_SDK_DISABLED")?.lowercased() != "true", exporter != "none" else { return nil }
        return try otlp(serviceName: serviceName, logger: logger)
    }

    /// The OTLP/HTTP exporter; `endpoint` (for tests), else the `OTEL_*` variables, else
    /// OTel's default `http://localhost:4318`.
    public static func otlp(
        serviceName: String, endpoint: String? = nil, json: Bool = false, logger: Logger
    ) throws -> TracingBackend {
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        // Its own diagnostics in the process's log format.
        configuration.diagnosticLogger = .custom(logger)
        configuration.resourceAttributes["service.version"] = BuildInfo.version
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        if let endpoint { configuration.traces.otlpExporter.endpoint = endpoint }
        if json { configuration.traces.otlpExporter.protocol = .httpJSON }
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return TracingBackend(tracer: backend.factory, service: backend.service)
    }

    /// Runs `body` with this tracer while the exporter runs, then flushes and stops the
    /// exporter (benchmarks and tests that start systems in-process).
    public func withExporting<T: Sendable>(logger: Logger, _ body: () async throws -> T) async throws -> T {
        let exporter = ServiceGroup(configuration: ServiceGroupConfiguration(services: [.init(service: service)], logger: logger))
        let exporting = Task { try await exporter.run() }
        do {
            let result = try await Telemetry.$tracer.withValue(tracer) { try await body() }
            await exporter.triggerGracefulShutdown()
            try await exporting.value
            return result
        } catch {
            await exporter.triggerGracefulShutdown()
            _ = await exporting.result
            throw error
        }
    }

    /// Runs `group` (a process's services), with `tracing`'s tracer if any; on the
    /// group's end the exporter flushes what is left, then stops.
    public static func run(_ group: ServiceGroup, tracing: TracingBackend?, logger: Logger) async throws {
        guard let tracing else { return try await group.run() }
        try await tracing.run(group, logger: logger)
    }

    private func run(_ group: ServiceGroup, logger: Logger) async throws {
        let process = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: service, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                .init(service: group, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
        try await Telemetry.$tracer.withValue(tracer) { try await process.run() }
    }
}
