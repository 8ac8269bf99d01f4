import Logging
import PostgresNIO
import Storage
import WorkerRuntime

/// The database the admin commands act on (`MEMGRID_POSTGRES_URL`), with a logger that
/// stays quiet unless `MEMGRID_LOG_LEVEL` says otherwise.
enum AdminDatabase {
    static func with<T: Sendable>(label: String, _ body: @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        let environment = EnvironmentReader()
        var logger = Logger(label: label)
        logger.logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .warning)
        let url = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        return try await DatabaseConfiguration.withClient(url: url, logger: logger) { [logger] client in
            try await body(client, logger)
        }
    }
}
