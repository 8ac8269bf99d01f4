import ArgumentParser
import Logging
import PostgresNIO
import Storage
import WorkerRuntime

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run concurrently).")

    @Flag(help: "Only print the current and latest schema versions.")
    var status = false

    func run() async throws {
        let environment = EnvironmentReader()
        var configuredLogger = Logger(label: "memgrid.migrate")
        configuredLogger.logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .info)
        let logger = configuredLogger
        let url = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        let migrator = Migrator()
        try await DatabaseConfiguration.withClient(url: url, logger: logger) { client in
            if status {
                let current = try await migrator.currentVersion(client, logger: logger)
                print("schema version \(current), latest \(migrator.latestVersion)")
            } else {
                let applied = try await migrator.migrate(client, logger: logger)
                print(applied.isEmpty
                    ? "schema is up to date (version \(migrator.latestVersion))"
                    : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
