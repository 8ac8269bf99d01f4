import ArgumentParser
import Backfill
import Contracts
import Logging
import Messaging
import PostgresNIO
import Storage
import WorkerRuntime

/// How a backfill publishes and reports: shared by `memgrid backfill` and
/// `memgrid spaces reembed`, which run the same runner.
struct BackfillPacing: ParsableArguments {
    @Option(help: "Texts per embed job.")
    var chunkSize = 256

    @Option(help: "Chunks published but not finished, at most.")
    var maxInFlight = 8

    @Option(help: "Pause publishing while the embed queue holds more ready messages than this.")
    var maxQueueDepth = 1000

    @Option(help: "Seconds between progress lines when stderr is not a terminal.")
    var progressInterval = 10

    func validate() throws {
        guard (1...EmbedJob.maxItems).contains(chunkSize) else { throw ValidationError("--chunk-size: 1 to \(EmbedJob.maxItems)") }
        guard maxInFlight >= 1, maxQueueDepth >= 0 else { throw ValidationError("--max-in-flight ≥ 1, --max-queue-depth ≥ 0") }
        guard progressInterval >= 1 else { throw ValidationError("--progress-interval ≥ 1") }
    }

    /// A runner paced by these options, checkpointing in `database`, publishing through
    /// `publisher` and watching the process's broker for the queue depth.
    func runner(
        tenantID: String, backfillID: String, dryRun: Bool = false, space: String? = nil, database: PostgresClient,
        publisher: Publisher, process: ProcessConfiguration, logger: Logger
    ) -> BackfillRunner {
        BackfillRunner(
            configuration: .init(
                tenantID: tenantID, backfillID: backfillID, chunkSize: chunkSize, maxInFlight: maxInFlight,
                maxQueueDepth: maxQueueDepth, dryRun: dryRun, space: space),
            repository: BackfillRepository(client: database), publisher: publisher,
            admin: BrokerAdmin(configuration: process.broker), topology: process.declaration.topology, logger: logger)
    }
}
