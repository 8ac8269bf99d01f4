import Logging
import PostgresNIO
import ServiceLifecycle
import Storage
import Testing
import TestSupport
import WorkerRuntime

/// Start-up is quiet: no query leases a connection before the client runs, which
/// PostgresNIO warns about ("run() hasn't been called yet").
@Suite struct DatabaseServiceTests {
    /// One query as soon as it starts, then done (which ends the group).
    struct QueryAtStart: Service {
        let client: PostgresClient
        let logger: Logger

        func run() async throws {
            _ = try await client.query("SELECT 1", logger: logger)
        }
    }

    static func warnings(_ records: RecordedLogs) -> [String] {
        records.all.filter { $0.level >= .warning }.map(\.text)
    }

    @Test func servicesStartOnceTheDatabaseClientRuns() async throws {
        let records = RecordedLogs()
        let logger = Logger(label: "test.database") { _ in RecordingLogHandler(records: records) }
        for _ in 0..<50 {
            let client = PostgresClient(
                configuration: try DatabaseConfiguration(url: ScratchDatabase.adminURL).client, backgroundLogger: logger)
            let database = DatabaseService(client: client)
            // The query service comes first, as a process's consumers would if they raced ahead.
            let services = database.afterStart([QueryAtStart(client: client, logger: logger)]) + [database]
            try await ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger)
            ).run()
        }
        #expect(Self.warnings(records).isEmpty, "\(Self.warnings(records))")
    }

    @Test func aScopedClientRunsBeforeItsBody() async throws {
        let records = RecordedLogs()
        let logger = Logger(label: "test.database") { _ in RecordingLogHandler(records: records) }
        for _ in 0..<50 {
            try await DatabaseConfiguration.withClient(url: ScratchDatabase.adminURL, logger: logger) { client in
                _ = try await client.query("SELECT 1", logger: logger)
            }
        }
        #expect(Self.warnings(records).isEmpty, "\(Self.warnings(records))")
    }
}
