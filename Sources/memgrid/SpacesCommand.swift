import ArgumentParser
import Backfill
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import WorkerRuntime

/// `memgrid spaces`: the embedding spaces, and the switch to a new model without downtime
/// (docs/reembedding.md): list, re-embed what the new space lacks, activate.
struct SpacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spaces",
        abstract: "Embedding spaces: list them, re-embed into a new one, switch searches to it.",
        subcommands: [List.self, Reembed.self, Activate.self, Drop.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every space: active, indexed, vectors, and coverage of items and documents.")

        @Flag(help: "One JSON object per space.")
        var json = false

        func run() async throws {
            let lines = try await AdminDatabase.with(label: "memgrid.spaces") { [json] client, logger in
                let repository = EmbeddingSpaceRepository(client: client)
                var lines: [String] = []
                for space in try await repository.list(logger: logger) {
                    let coverage = try await repository.coverage(of: space.id, logger: logger)
                    lines.append(json ? Self.json(space, coverage) : Self.text(space, coverage))
                }
                return lines
            }
            if !json { print("space\tactive\tindexed\tvectors\tcoverage") }
            lines.forEach { print($0) }
        }

        static func text(_ space: EmbeddingSpaceRepository.Space, _ coverage: EmbeddingSpaceRepository.Coverage) -> String {
            "\(space.id)\t\(space.active ? "active" : "-")\t\(space.indexed ? "yes" : "no")\t\(space.vectors)\t\(coverage.current)/\(coverage.total)"
        }

        static func json(_ space: EmbeddingSpaceRepository.Space, _ coverage: EmbeddingSpaceRepository.Coverage) -> String {
            let object: [String: Any] = [
                "id": space.id, "model": space.model, "revision": space.revision, "dimensions": space.dimensions,
                "active": space.active, "indexed": space.indexed, "vectors": space.vectors,
                "covered": coverage.current, "total": coverage.total, "missing": coverage.missing,
            ]
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct Reembed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed every memory item and document the space lacks (or holds for an older text), tenant by tenant.",
            discussion: """
                Needs embedding workers that serve the space (MEMGRID_EMBED_NEXT_PROVIDER). Each run reads only what is \
                still missing, so re-running it resumes and catches up. Exit status 2 when inputs were dead-lettered.
                """)

        @Argument(help: "The space id, as `memgrid spaces list` shows it.")
        var space: String

        @Option(help: "Only this tenant (default: every tenant).")
        var tenant: String?

        @OptionGroup var pacing: BackfillPacing

        func run() async throws {
            let environment = EnvironmentReader()
            var logger = Logger(label: "memgrid.spaces")
            logger.logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .warning)
            let process = try ProcessConfiguration(environment: environment, defaultOperationsPort: 0)
            let failed = try await DatabaseConfiguration.withClient(url: process.postgresURL, logger: logger) { [self, logger] database in
                try await reembed(database: database, process: process, logger: logger)
            }
            if failed { throw ExitCode(2) }
        }

        /// Runs one backfill per tenant with something missing; true when inputs failed.
        private func reembed(database: PostgresClient, process: ProcessConfiguration, logger: Logger) async throws -> Bool {
            let spaces = EmbeddingSpaceRepository(client: database)
            guard try await spaces.list(logger: logger).contains(where: { $0.id == space }) else {
                FileHandle.standardError.write(Data("error: no embedding space '\(space)': start embedding workers that serve it first\n".utf8))
                throw ExitCode.failure
            }
            let tenants = if let tenant { [tenant] } else { try await spaces.tenantIDs(logger: logger) }
            let publisher = Publisher(configuration: process.broker, declaration: process.declaration, logger: logger)
            publisher.start()
            // A fresh id per run: the source is "what is missing now", which shrinks as it runs.
            let runID = "reembed-\(Int(Date().timeIntervalSince1970))"
            var failed = false
            do {
                for tenant in tenants {
                    let source = ReembedSource(spaces: spaces, space: space, tenantID: tenant, logger: logger)
                    guard let missing = try await source.estimatedCount(), missing > 0 else { continue }
                    let runner = pacing.runner(
                        tenantID: tenant, backfillID: runID, space: space, database: database, publisher: publisher, process: process,
                        logger: logger)
                    let printer = BackfillProgressPrinter(interval: .seconds(pacing.progressInterval))
                    FileHandle.standardError.write(Data("tenant \(tenant): \(missing) to re-embed into \(space)\n".utf8))
                    let summary = try await runner.run(source: source, onRejection: printer.reject, onProgress: printer.show)
                    print("tenant \(tenant): " + BackfillProgressPrinter.summaryLine(backfillID: runID, summary.progress, dryRun: false))
                    failed = failed || summary.progress.invalid > 0 || summary.progress.deadLettered > 0
                }
                await publisher.close()
            } catch {
                await publisher.close()
                throw error
            }
            let coverage = try await spaces.coverage(of: space, tenantID: tenant, logger: logger)
            print("coverage of \(space): \(coverage.current)/\(coverage.total)")
            return failed
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch searches to the space: builds its index, then flips in one transaction.",
            discussion: "Refused while the space lacks vectors for some items or documents, unless --force.")

        @Argument(help: "The space id, as `memgrid spaces list` shows it.")
        var space: String

        @Flag(help: "Switch even though some items or documents have no vector in the space yet.")
        var force = false

        func run() async throws {
            let activation: EmbeddingSpaceRepository.Activation
            do {
                activation = try await AdminDatabase.with(label: "memgrid.spaces") { [space, force] client, logger in
                    try await EmbeddingSpaceRepository(client: client).activate(space, force: force, logger: logger)
                }
            } catch let error as StorageError {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode.failure
            }
            print("""
                active space: \(space) (was \(activation.previous ?? "none")); \
                covered \(activation.coverage.current)/\(activation.coverage.total)\(activation.builtIndex ? "; index built" : "")
                """)
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a space searches no longer use: its vectors and its index.",
            discussion: """
                Refused for the active space. Drop a space only once no worker serves it (after the rollout to one \
                model): a worker that still does dead-letters its jobs until it restarts and registers the space again.
                """)

        @Argument(help: "The space id, as `memgrid spaces list` shows it.")
        var space: String

        func run() async throws {
            do {
                try await AdminDatabase.with(label: "memgrid.spaces") { [space] client, logger in
                    try await EmbeddingSpaceRepository(client: client).delete(space, logger: logger)
                }
            } catch let error as StorageError {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode.failure
            }
            print("dropped space \(space)")
        }
    }
}
