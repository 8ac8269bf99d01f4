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
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: label)
        logger.logLevel = level
        return (logger, registry)
    }
}
