import ArgumentParser
import Gateway
import Logging
import ServiceLifecycle
import WorkerRuntime

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-gateway",
        abstract: "memgrid's HTTP API gateway.",
        discussion: """
            Configured by environment variables (see docs/configuration.md), chiefly
            MEMGRID_GATEWAY_HOST/PORT (default 127.0.0.1:8080), MEMGRID_AMQP_URL,
            MEMGRID_POSTGRES_URL and MEMGRID_MIGRATE_ON_START. Serves /healthz on that
            port, and /healthz, /readyz and /metrics on MEMGRID_OPS_PORT (default 9100)
            only. Stops gracefully on SIGTERM or SIGINT.
            """,
        version: BuildInfo.description)

    func run() async throws {
        let environment = EnvironmentReader()
        let configuration = try GatewayApp.Configuration(environment: environment)
        let (logger, registry) = ProcessBootstrap.bootstrap(
            label: "memgrid.gateway", level: configuration.process.logLevel, format: configuration.process.logFormat)
        let tracing = try TracingBackend.fromEnvironment(environment, serviceName: "memgrid.gateway", logger: logger)
        let parts = try GatewayApp.build(configuration: configuration, registry: registry, logger: logger)
        logger.info("gateway listening", metadata: [
            "url": "http://\(configuration.host):\(configuration.port)", "tracing": "\(tracing == nil ? "off" : "otlp")",
        ])
        try await TracingBackend.run(parts.group, tracing: tracing, logger: logger)
    }
}
