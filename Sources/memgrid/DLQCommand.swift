import ArgumentParser
import Contracts
import Foundation
import Gateway
import Logging
import Messaging
import Storage
import WorkerRuntime

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay and purge dead letters, every tenant's (as the gateways recorded them off the <prefix>.<queue>.dlq queues).",
        discussion: """
            The gateways take every dead letter off its queue into PostgreSQL; these commands act there, \
            oldest first, and never touch a queue except to replay: a replayed dead letter leaves the record \
            only once the broker confirmed its publish. Reads MEMGRID_POSTGRES_URL; replay also \
            MEMGRID_AMQP_URL and MEMGRID_TOPOLOGY_PREFIX. See docs/runbook.md.
            """,
        subcommands: [List.self, Show.self, Replay.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters (nothing changes).")

        @OptionGroup var selection: Selection

        @Option(help: "At most this many.")
        var limit = 100

        @Flag(help: "Print one JSON object per dead letter (the admin API's `data` entries) instead of a table.")
        var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit: at least 1") }
        }

        func run() async throws {
            let report = try await DLQCommand.withArchive { archive, logger in
                try await archive.list(try selection.filter(in: archive.topology), limit: limit, logger: logger)
            }
            if json {
                try DLQCommand.printJSONLines(report.letters)
            } else {
                DLQCommand.printTable(report.letters)
            }
            DLQCommand.note("\(report.letters.count) matching dead letters\(report.hasMore ? " (more match: raise --limit)" : "")")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter, body included.")

        @Argument(help: "Its message id (the job id).")
        var messageID: String

        @Option(name: .customLong("queue"), help: "Only look in this work queue's dead letters (embed, llm, proactive); repeatable.")
        var queues: [String] = []

        @Flag(help: "Print it as JSON (the admin API's answer).")
        var json = false

        func run() async throws {
            let (report, topology) = try await DLQCommand.withArchive { archive, logger in
                let filter = DeadLetterRepository.Filter(
                    queues: try Selection.queues(queues, in: archive.topology)?.map(\.rawValue) ?? [], messageIDs: [messageID])
                return (try await archive.list(filter, limit: 1, bodies: true, logger: logger), archive.topology)
            }
            guard let letter = report.letters.first else {
                DLQCommand.note("no dead letter with message id \(messageID)")
                throw ExitCode.failure
            }
            if json {
                try DLQCommand.printJSONLines([letter])
            } else {
                DLQCommand.printDetail(letter, topology: topology)
            }
            if report.hasMore { DLQCommand.note("more dead letters have this message id; this is the oldest") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Republish dead letters where they came from, with the same message id (idempotent handlers apply each once).",
            discussion: """
                A job goes back to the jobs exchange with its kind; an event to the work queue it died in. \
                The attempt count starts again at 1. A dead letter leaves the record only once the broker \
                confirmed its replay; one that could not be published stays (exit status 1).
                """)

        @OptionGroup var target: BulkSelection

        @Flag(help: "Print the admin API's answer as JSON instead of a summary.")
        var json = false

        func run() async throws {
            let started = Date()
            let report = try await DLQCommand.withArchive(publishing: true) { archive, logger in
                try await archive.replay(try target.selection.filter(in: archive.topology), limit: target.limit, logger: logger)
            }
            await DLQCommand.markRequeued(report.letters, before: started)
            if json {
                try DLQCommand.printJSONLines([report])
            } else {
                print("replayed \(report.letters.count) dead letters")
                if !report.failures.isEmpty {
                    print("\(report.failures.count) could not be published and stay dead letters:")
                    DLQCommand.printTable(
                        header: ["QUEUE", "MESSAGE ID", "ERROR"],
                        rows: report.failures.map { [$0.letter.queue.rawValue, $0.letter.messageID ?? "-", $0.error] })
                }
            }
            if !report.failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters for good; the others stay.",
            discussion: "Without --yes, only lists what would be deleted and exits with status 1.")

        @OptionGroup var target: BulkSelection

        @Flag(help: "Really delete them.")
        var yes = false

        @Flag(help: "Print the admin API's answer (or, without --yes, the matches) as JSON.")
        var json = false

        func run() async throws {
            guard yes else {
                let report = try await DLQCommand.withArchive { archive, logger in
                    try await archive.list(
                        try target.selection.filter(in: archive.topology), limit: target.limit ?? 1000, logger: logger)
                }
                if json {
                    try DLQCommand.printJSONLines(report.letters)
                } else {
                    DLQCommand.printTable(report.letters)
                }
                DLQCommand.note("nothing purged: run again with --yes to delete these \(report.letters.count) dead letters")
                throw ExitCode.failure
            }
            let report = try await DLQCommand.withArchive { archive, logger in
                try await archive.purge(try target.selection.filter(in: archive.topology), limit: target.limit, logger: logger)
            }
            if json {
                try DLQCommand.printJSONLines([report])
            } else {
                print("purged \(report.letters.count) dead letters")
            }
        }
    }
}

extension DLQCommand {
    /// The recorded dead letters; with `publishing`, a started publisher for replays.
    static func withArchive<T: Sendable>(
        publishing: Bool = false, _ body: @Sendable (DeadLetterArchive, Logger) async throws -> T
    ) async throws -> T {
        let process = try ProcessConfiguration(environment: EnvironmentReader(), defaultOperationsPort: 0)
        return try await AdminDatabase.with(label: "memgrid.dlq") { client, logger in
            let publisher = Publisher(configuration: process.broker, declaration: process.declaration, logger: logger)
            if publishing { publisher.start() }
            let archive = DeadLetterArchive(
                repository: DeadLetterRepository(client: client), publisher: publisher, topology: process.declaration.topology)
            do {
                let result = try await body(archive, logger)
                if publishing { await publisher.close() }
                return result
            } catch {
                if publishing { await publisher.close() }
                throw error
            }
        }
    }

    /// Replayed jobs that have a status row (`GET /v1/jobs/{id}`) are queued again. The
    /// replay stands either way; a database that cannot be reached only gets a warning.
    static func markRequeued(_ letters: [DeadLetter], before: Date) async {
        let ids = letters.compactMap(\.messageID)
        guard !ids.isEmpty else { return }
        do {
            _ = try await AdminDatabase.with(label: "memgrid.dlq") { client, logger in
                try await JobRepository(client: client).markRequeued(ids: ids, deadLetteredBefore: before, logger: logger)
            }
        } catch {
            note("warning: the jobs were replayed, but their status rows could not be marked queued: \(error)")
        }
    }
}
