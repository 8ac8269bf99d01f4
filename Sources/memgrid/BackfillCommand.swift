import ArgumentParser
import Backfill
import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import WorkerRuntime

/// `memgrid backfill`: embeds a JSONL/CSV file or a query's rows into the tenant's
/// documents through the embed queue, with backpressure, a progress bar and checkpoints
/// (re-run the same command to resume). See docs/backfill.md.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Embed a JSONL/CSV file or SQL rows (id, text[, user_id, metadata]) into a tenant's documents.",
        discussion: """
            Resumable: re-running with the same --id (by default derived from the source) skips finished chunks. \
            Exit status 0 when every input was embedded, 2 when some were rejected or dead-lettered.
            """)

    @Option(help: "Tenant the documents belong to (must exist).")
    var tenant: String

    @Option(help: "Backfill id; re-run with the same id to resume. Default: derived from the source and chunk size.")
    var id: String?

    @Option(help: "A JSON Lines file: {\"id\", \"text\", \"user_id\"?, \"metadata\"?} per line.")
    var jsonl: String?

    @Option(help: "A CSV file with a header naming id, text and optionally user_id, metadata.")
    var csv: String?

    @Option(help: "A query returning the columns id, text and optionally user_id, metadata.")
    var sql: String?

    @Option(help: "Database the --sql query reads (default: MEMGRID_POSTGRES_URL).")
    var sourceURL: String?

    @OptionGroup var pacing: BackfillPacing

    @Flag(help: "Validate and count the inputs; publish nothing, write nothing.")
    var dryRun = false

    func validate() throws {
        guard [jsonl, csv, sql].compactMap({ $0 }).count == 1 else { throw ValidationError("give exactly one of --jsonl, --csv, --sql") }
        if let id, !BackfillRunner.isValidID(id) { throw ValidationError("--id: 1 to 128 letters, digits, '-', '_' or '.'") }
    }

    func run() async throws {
        let environment = EnvironmentReader()
        var logger = Logger(label: "memgrid.backfill")
        logger.logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .warning)
        let process = try ProcessConfiguration(environment: environment, defaultOperationsPort: 0)
        let sourceURL = self.sourceURL ?? process.postgresURL
        let summary = try await DatabaseConfiguration.withClient(url: process.postgresURL, logger: logger) { [self, logger] database in
            if let sql {
                return try await DatabaseConfiguration.withClient(url: sourceURL, logger: logger) { [logger] sourceDatabase in
                    try await execute(SQLSource(client: sourceDatabase, query: sql, logger: logger), database: database, process: process, logger: logger)
                }
            }
            if let jsonl { return try await execute(JSONLinesSource(url: URL(fileURLWithPath: jsonl)), database: database, process: process, logger: logger) }
            return try await execute(CSVSource(url: URL(fileURLWithPath: csv!)), database: database, process: process, logger: logger)
        }
        if summary.progress.invalid > 0 || summary.progress.deadLettered > 0 { throw ExitCode(2) }
    }

    private func execute(
        _ source: some BackfillSource, database: PostgresClient, process: ProcessConfiguration, logger: Logger
    ) async throws -> BackfillRunner.Summary {
        let backfillID = id ?? BackfillRunner.defaultID(source: source, chunkSize: pacing.chunkSize)
        let publisher = Publisher(configuration: process.broker, declaration: process.declaration, logger: logger)
        if !dryRun { publisher.start() }
        let runner = pacing.runner(
            tenantID: tenant, backfillID: backfillID, dryRun: dryRun, database: database, publisher: publisher, process: process,
            logger: logger)
        let printer = BackfillProgressPrinter(interval: .seconds(pacing.progressInterval), dryRun: dryRun)
        FileHandle.standardError.write(Data("backfill \(backfillID)\(dryRun ? " (dry run)" : ""): \(source.description)\n".utf8))
        let summary: BackfillRunner.Summary
        do {
            summary = try await runner.run(source: source, onRejection: printer.reject, onProgress: printer.show)
            await publisher.close()
        } catch {
            await publisher.close()
            throw error  // a BackfillError's description is its message
        }
        print(BackfillProgressPrinter.summaryLine(backfillID: backfillID, summary.progress, dryRun: dryRun))
        return summary
    }
}
