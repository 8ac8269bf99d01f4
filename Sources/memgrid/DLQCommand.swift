import ArgumentParser
import Contracts
import Foundation
import Logging
import Messaging
import Storage
import WorkerRuntime

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay and purge dead letters (the <prefix>.<queue>.dlq queues).",
        discussion: """
            Each command makes one pass over every dead-letter queue it reads: a message is taken, then put \
            back at the tail, replayed or dropped, and only removed once the broker confirmed where it went. \
            Browsing never loses a dead letter and keeps their order. A pass rewrites every message of a \
            queue once, whatever the filters. Reads MEMGRID_AMQP_URL and MEMGRID_TOPOLOGY_PREFIX; replay also \
            MEMGRID_POSTGRES_URL, to mark replayed jobs queued again. See docs/runbook.md.
            """,
        subcommands: [List.self, Show.self, Replay.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters (they stay in their queues).")

        @OptionGroup var selection: Selection

        @Option(help: "At most this many (the count of all matches is printed on stderr).")
        var limit = 100

        @Flag(help: "Print one JSON object per dead letter (the admin API's `data` entries) instead of a table.")
        var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit: at least 1") }
        }

        func run() async throws {
            let deadLetters = try DLQCommand.deadLetters()
            let report = try await deadLetters.list(
                queues: try selection.queues(in: deadLetters.topology), filter: selection.filter, limit: limit)
            if json {
                try DLQCommand.printJSONLines(report.letters)
            } else {
                DLQCommand.printTable(report.letters)
            }
            DLQCommand.note("\(report.letters.count) of \(report.matched) matching dead letters (\(report.scanned) in the queues read)")
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
            let deadLetters = try DLQCommand.deadLetters()
            let report = try await deadLetters.list(
                queues: try Selection.queues(queues, in: deadLetters.topology),
                filter: DeadLetterFilter(messageIDs: [messageID]), limit: 1, bodies: true)
            guard let letter = report.letters.first else {
                DLQCommand.note("no dead letter with message id \(messageID)")
                throw ExitCode.failure
            }
            if json {
                try DLQCommand.printJSONLines([letter])
            } else {
                DLQCommand.printDetail(letter, topology: deadLetters.topology)
            }
            if report.matched > 1 { DLQCommand.note("\(report.matched) dead letters have this message id; this is the first") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Republish dead letters where they came from, with the same message id (idempotent handlers apply each once).",
            discussion: """
                A job goes back to the jobs exchange with its kind; an event to the work queue it died in. \
                The attempt count starts again at 1. A dead letter leaves its queue only once the broker \
                confirmed its replay; one that could not be published stays (exit status 1).
                """)

        @OptionGroup var target: BulkSelection

        @Flag(help: "Print the admin API's answer as JSON instead of a summary.")
        var json = false

        func run() async throws {
            let deadLetters = try DLQCommand.deadLetters()
            let started = Date()
            let report = try await deadLetters.replay(
                queues: try target.selection.queues(in: deadLetters.topology), filter: target.selection.filter, limit: target.limit)
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
            abstract: "Delete dead letters for good; the others stay, unchanged and in order.",
            discussion: "Without --yes, only lists what would be deleted and exits with status 1.")

        @OptionGroup var target: BulkSelection

        @Flag(help: "Really delete them.")
        var yes = false

        @Flag(help: "Print the admin API's answer (or, without --yes, the matches) as JSON.")
        var json = false

        func run() async throws {
            let deadLetters = try DLQCommand.deadLetters()
            let (queues, filter) = (try target.selection.queues(in: deadLetters.topology), target.selection.filter)
            guard yes else {
                let report = try await deadLetters.list(queues: queues, filter: filter, limit: target.limit)
                if json {
                    try DLQCommand.printJSONLines(report.letters)
                } else {
                    DLQCommand.printTable(report.letters)
                }
                DLQCommand.note("nothing purged: run again with --yes to delete these \(report.letters.count) dead letters")
                throw ExitCode.failure
            }
            let report = try await deadLetters.purge(queues: queues, filter: filter, limit: target.limit)
            if json {
                try DLQCommand.printJSONLines([report])
            } else {
                print("purged \(report.letters.count) dead letters")
            }
        }
    }
}

extension DLQCommand {
    static func deadLetters() throws -> DeadLetterQueue {
        let process = try ProcessConfiguration(environment: EnvironmentReader(), defaultOperationsPort: 0)
        return DeadLetterQueue(configuration: process.broker, topology: process.declaration.topology)
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
