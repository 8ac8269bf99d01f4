public import Hummingbird
public import Logging
public import Messaging
import PostgresNIO
public import Prometheus
public import ServiceLifecycle
import UnixSignals
import Storage
public import WorkerRuntime

/// Wires the gateway: PostgreSQL client, confirmed publisher, HTTP server.
/// The API routes arrive with the gateway issue; this is the skeleton they hang on.
public enum GatewayApp {
    public struct Configuration: Sendable {
        public var process: ProcessConfiguration
        public var host: String
        public var port: Int
        /// Apply pending migrations before serving (`MEMGRID_MIGRATE_ON_START`).
        public var migrateOnStart: Bool

        public init(environment: EnvironmentReader) throws {
            process = try ProcessConfiguration(environment: environment, defaultOperationsPort: 8080)
            host = environment.string("MEMGRID_GATEWAY_HOST", default: "127.0.0.1")
            port = try environment.int("MEMGRID_GATEWAY_PORT", default: 8080, range: 0...65535)
            migrateOnStart = environment.string("MEMGRID_MIGRATE_ON_START", default: "false") == "true"
        }
    }

    public struct Parts: Sendable {
        public let group: ServiceGroup
        public let publisher: Publisher
        public let readiness: Readiness
    }

    public static func build(configuration: Configuration, registry: PrometheusCollectorRegistry, logger: Logger) throws -> Parts {
        let process = configuration.process
        let database = PostgresClient(
            configuration: try DatabaseConfiguration(url: process.postgresURL).client, backgroundLogger: logger)
        let publisher = Publisher(configuration: process.broker, declaration: process.declaration, logger: logger)
        let readiness = Readiness()
        readiness.add("broker") { publisher.status.isConnected }
        readiness.add("postgres") {
            (try? await database.query("SELECT 1", logger: logger)) != nil
        }

        let router = Router()
        OperationsServer.routes(into: router, readiness: readiness, registry: registry)
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "memgrid-gateway"),
            logger: logger)
        if configuration.migrateOnStart {
            app.beforeServerStarts {
                let applied = try await Migrator().migrate(database, logger: logger)
                logger.info("migrations checked", metadata: ["migrations.applied": "\(applied)"])
            }
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: database), .init(service: PublisherService(publisher)), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        return Parts(group: group, publisher: publisher, readiness: readiness)
    }
}
