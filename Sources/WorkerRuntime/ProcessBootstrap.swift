public import Logging
import Metrics
public import Prometheus

/// Process-wide setup for the executables (never called from tests): logging to
/// stderr in the configured format and one Prometheus registry for the global metrics
/// system.
public enum ProcessBootstrap {
    public static func bootstrap(
        label: String, level: Logger.Level, format: LogFormat
    ) -> (Logger, PrometheusCollectorRegistry) {
        // Every line of a task working for a trace carries its trace_id and span_id.
        LoggingSystem.bootstrap({ label, metadataProvider in
            switch format {
            case .json:
                var handler = JSONLogHandler.standardError(label: label, metadataProvider: metadataProvider)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
                handler.logLevel = level
                return handler
            }
        }, metadataProvider: .trace)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: label)
        logger.logLevel = level
        return (logger, registry)
    }
}
