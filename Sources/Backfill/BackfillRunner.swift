public import Contracts
import Foundation
public import Logging
public import Messaging
public import Storage

/// Runs a backfill: reads the source, rejects bad inputs (with their line numbers), cuts
/// the rest into chunks, and publishes each chunk as one `embed.v1` job with confirms —
/// at most `maxInFlight` unfinished chunks at a time, pausing while the embed queue is
/// deeper than `maxQueueDepth`. Checkpoints in PostgreSQL make a re-run with the same id
/// skip finished and in-flight chunks and publish only the rest. See docs/backfill.md.
public struct BackfillRunner: Sendable {
    public struct Configuration: Sendable {
        public var tenantID: String
        public var backfillID: String
        /// Items per embed job (1 to `EmbedJob.maxItems`).
        public var chunkSize: Int
        /// Unfinished chunks at most; nil = no limit (the gateway's small inline backfills).
        public var maxInFlight: Int?
        /// Publishing pauses while the embed work queue holds more ready messages; nil = never.
        public var maxQueueDepth: Int?
        /// How often finished chunks and the queue depth are checked while waiting.
        public var pollInterval: Duration
        /// Validate and count only: nothing is written or published.
        public var dryRun: Bool
        /// Return once every chunk finished (the CLI), or once every chunk is confirmed (the gateway).
        public var waitForCompletion: Bool
        /// How long the broker or the database may fail before the run gives up: a restart
        /// of either must not end a backfill of millions.
        public var outageLimit: Duration
        /// The one embedding space the jobs write to (a re-embed); nil = every space the
        /// workers serve.
        public var space: String?

        public init(
            tenantID: String, backfillID: String, chunkSize: Int = 256, maxInFlight: Int? = 8, maxQueueDepth: Int? = 1000,
            pollInterval: Duration = .milliseconds(200), dryRun: Bool = false, waitForCompletion: Bool = true,
            outageLimit: Duration = .seconds(300), space: String? = nil
        ) {
            self.tenantID = tenantID
            self.backfillID = backfillID
            self.chunkSize = chunkSize
            self.maxInFlight = maxInFlight
            self.maxQueueDepth = maxQueueDepth
            self.pollInterval = pollInterval
            self.dryRun = dryRun
            self.waitForCompletion = waitForCompletion
            self.outageLimit = outageLimit
            self.space = space
        }
    }

    /// Where a run stands; reported after every chunk and while waiting.
    public struct Progress: Sendable, Equatable {
        /// Inputs the source holds, if known (exact once it was read to the end).
        public var total: Int?
        /// Valid items read so far.
        public var read = 0
        /// Items whose chunk job succeeded (including chunks done by an earlier run).
        public var done = 0
        /// Of `done`, items whose vector came from the embedding cache (this run's chunks).
        public var cached = 0
        public var deadLettered = 0
        /// Inputs rejected (bad lines).
        public var invalid = 0
        /// Chunks cut from the source so far.
        public var chunks = 0
        /// Chunks this run published, and chunks it skipped as published by an earlier run.
        public var published = 0
        public var skipped = 0
        public var inFlight = 0
        /// The embed queue's ready messages when last checked, and the most seen.
        public var queueDepth: Int?
        public var peakQueueDepth = 0
        public var elapsed: Duration = .zero
        public var finished = false
    }

    /// The last progress of a run, plus the rejected inputs.
    public struct Summary: Sendable {
        public var progress: Progress
        public var rejections: [BackfillRejection]
    }

    /// Rejections kept for the summary and the status page; the count is always exact.
    public static let maxRejectionSamples = 100

    let configuration: Configuration
    let repository: BackfillRepository?
    let publisher: Publisher?
    let admin: BrokerAdmin?
    let topology: Topology
    let logger: Logger

    /// - Parameters:
    ///   - repository, publisher: nil only for a dry run.
    ///   - admin: reads the embed queue's depth; nil = no queue-depth backpressure.
    public init(
        configuration: Configuration, repository: BackfillRepository?, publisher: Publisher?, admin: BrokerAdmin?,
        topology: Topology, logger: Logger
    ) {
        self.configuration = configuration
        self.repository = repository
        self.publisher = publisher
        self.admin = admin
        self.topology = topology
        var logger = logger
        logger[metadataKey: "backfill.id"] = "\(configuration.backfillID)"
        logger[metadataKey: "tenant.id"] = "\(configuration.tenantID)"
        self.logger = logger
    }

    /// - Parameters:
    ///   - onRejection: called for every rejected input, in order.
    ///   - onProgress: called after every chunk and every poll.
    public func run(
        source: some BackfillSource,
        onRejection: (BackfillRejection) -> Void = { _ in },
        onProgress: (Progress) -> Void = { _ in }
    ) async throws -> Summary {
        precondition((1...EmbedJob.maxItems).contains(configuration.chunkSize), "chunk size out of range")
        var state = State(started: .now)
        state.progress.total = try await source.estimatedCount()
        var earlier: [Int: BackfillRepository.Chunk] = [:]
        if !configuration.dryRun, let repository {
            let definition = BackfillRepository.Definition(
                tenantID: configuration.tenantID, id: configuration.backfillID, source: source.description,
                fingerprint: Self.fingerprint(source: source.description, chunkSize: configuration.chunkSize),
                chunkSize: configuration.chunkSize)
            do {
                try await repository.begin(definition, logger: logger)
            } catch let error as StorageError where error.code == .conflict {
                throw BackfillError(.conflict, error.message)
            } catch let error as StorageError where error.code == .notFound {
                throw BackfillError(.unknownTenant, error.message)
            }
            earlier = try await repository.chunks(tenantID: configuration.tenantID, backfillID: configuration.backfillID, logger: logger)
        }

        var seen = Set<UInt64>()
        var pending: [BackfillItem] = []
        try await source.read { record in
            switch record {
            case .invalid(let line, let error):
                state.reject(BackfillRejection(line: line, error: error), onRejection)
            case .item(let item, let line):
                if let problem = item.problem {
                    state.reject(BackfillRejection(line: line, error: problem.message), onRejection)
                } else if !seen.insert(idHash(item.key)).inserted {
                    state.reject(BackfillRejection(line: line, error: "duplicate id (an earlier input has the same id)"), onRejection)
                } else {
                    pending.append(item)
                    state.progress.read += 1
                    if pending.count == configuration.chunkSize {
                        try await submit(BackfillChunk(index: state.progress.chunks, items: pending), earlier: earlier, state: &state, onProgress)
                        pending = []
                    }
                }
            }
        }
        if !pending.isEmpty {
            try await submit(BackfillChunk(index: state.progress.chunks, items: pending), earlier: earlier, state: &state, onProgress)
        }
        state.progress.total = state.progress.read + state.progress.invalid

        if !configuration.dryRun, let repository {
            let samples = String(decoding: try JSONEncoder().encode(state.rejections), as: UTF8.self)
            try await repository.markPublished(
                tenantID: configuration.tenantID, backfillID: configuration.backfillID, totalItems: state.progress.read,
                invalidItems: state.progress.invalid, invalidSamplesJSON: samples, logger: logger)
            if configuration.waitForCompletion {
                while !state.inFlight.isEmpty {
                    try await Task.sleep(for: configuration.pollInterval)
                    try await poll(&state, onProgress)
                }
            }
        }
        state.progress.finished = true
        state.report(onProgress)
        return Summary(progress: state.progress, rejections: state.rejections)
    }

    struct State {
        var progress = Progress()
        var rejections: [BackfillRejection] = []
        /// Unfinished chunks: job id → items.
        var inFlight: [String: Int] = [:]
        var lastDepthCheck: ContinuousClock.Instant?
        /// When the broker or database started failing; nil while they answer.
        var outageSince: ContinuousClock.Instant?
        let started: ContinuousClock.Instant

        init(started: ContinuousClock.Instant) {
            self.started = started
        }

        mutating func reject(_ rejection: BackfillRejection, _ onRejection: (BackfillRejection) -> Void) {
            progress.invalid += 1
            if rejections.count < BackfillRunner.maxRejectionSamples { rejections.append(rejection) }
            onRejection(rejection)
        }

        mutating func report(_ onProgress: (Progress) -> Void) {
            progress.inFlight = inFlight.count
            progress.elapsed = .now - started
            onProgress(progress)
        }
    }

    /// Publishes a chunk, unless an earlier run did (then it only waits for it, or counts
    /// it as done). A dead-lettered chunk is published again.
    private func submit(
        _ chunk: BackfillChunk, earlier: [Int: BackfillRepository.Chunk], state: inout State, _ onProgress: (Progress) -> Void
    ) async throws {
        try Task.checkCancellation()  // Ctrl-C between chunks: everything so far is checkpointed
        state.progress.chunks += 1
        guard !configuration.dryRun, let repository, let publisher else { return state.report(onProgress) }
        let contentHash = chunk.contentHash
        if let previous = earlier[chunk.index] {
            guard previous.contentHash == contentHash else {
                throw BackfillError(.sourceChanged, """
                    chunk \(chunk.index) (inputs \(chunk.index * configuration.chunkSize + 1)…) differs from what an earlier run \
                    of backfill '\(configuration.backfillID)' published: the source changed; use a new backfill id
                    """)
            }
            if previous.published && previous.status != JobRepository.Status.deadLettered.rawValue {
                state.progress.skipped += 1
                if previous.status == JobRepository.Status.succeeded.rawValue {
                    state.progress.done += previous.items
                } else {
                    state.inFlight[previous.jobID] = previous.items
                }
                return state.report(onProgress)
            }
        }
        try await waitForCapacity(&state, onProgress)
        let job = chunk.job(tenantID: configuration.tenantID, backfillID: configuration.backfillID, space: configuration.space)
        try job.validate()
        // All three steps are idempotent (same job id, upserts), so a retry repeats them whole.
        try await ridingOutages("publishing chunk \(chunk.index)", &state) {
            try await repository.prepare(
                tenantID: configuration.tenantID, backfillID: configuration.backfillID, chunk: chunk.index, jobID: job.id,
                jobType: job.typeName, items: chunk.items.count, contentHash: contentHash, logger: logger)
            try await publisher.publish(.job(job, topology: topology))
            try await repository.markPublished(
                tenantID: configuration.tenantID, backfillID: configuration.backfillID, chunk: chunk.index, logger: logger)
        }
        state.inFlight[job.id] = chunk.items.count
        state.progress.published += 1
        state.report(onProgress)
    }

    /// Waits until fewer than `maxInFlight` chunks are unfinished and the embed queue is
    /// no deeper than `maxQueueDepth`.
    private func waitForCapacity(_ state: inout State, _ onProgress: (Progress) -> Void) async throws {
        while true {
            let full = configuration.maxInFlight.map { state.inFlight.count >= $0 } ?? false
            if full { try await poll(&state, onProgress) }
            let depthDue = state.lastDepthCheck.map { .now - $0 >= configuration.pollInterval } ?? true
            if configuration.maxQueueDepth != nil, depthDue { try await checkDepth(&state) }
            let room = configuration.maxInFlight.map { state.inFlight.count < $0 } ?? true
            let shallow = configuration.maxQueueDepth.map { (state.progress.queueDepth ?? 0) <= $0 } ?? true
            if room && shallow { return }
            state.report(onProgress)
            try await Task.sleep(for: configuration.pollInterval)
        }
    }

    private func checkDepth(_ state: inout State) async throws {
        guard let admin else { return }
        let queue = topology.workQueue(.embed)
        let depth = try await ridingOutages("reading the embed queue's depth", &state) {
            try await admin.queueDepth(queue).messages
        }
        state.lastDepthCheck = .now
        state.progress.queueDepth = depth
        state.progress.peakQueueDepth = max(state.progress.peakQueueDepth, depth)
    }

    /// Moves finished chunks out of flight (from their `jobs` rows).
    private func poll(_ state: inout State, _ onProgress: (Progress) -> Void) async throws {
        guard let repository, !state.inFlight.isEmpty else { return }
        let jobIDs = Array(state.inFlight.keys)
        let finishedChunks = try await ridingOutages("reading finished chunks", &state) {
            try await repository.finished(jobIDs: jobIDs, logger: logger)
        }
        for finished in finishedChunks {
            guard let items = state.inFlight.removeValue(forKey: finished.jobID) else { continue }
            if finished.deadLettered {
                state.progress.deadLettered += items
            } else {
                state.progress.done += items
                state.progress.cached += finished.cached
            }
        }
        if admin != nil, configuration.maxQueueDepth != nil { try await checkDepth(&state) }
        state.report(onProgress)
    }

    /// Runs `step`, retrying it every poll interval while the broker or the database fails
    /// (a restart, a failover), for up to `outageLimit`; then the last error ends the run,
    /// which a re-run resumes. Cancellation still ends it at once.
    private func ridingOutages<T: Sendable>(
        _ step: String, _ state: inout State, _ body: () async throws -> T
    ) async throws -> T {
        while true {
            do {
                let value = try await body()
                if let since = state.outageSince {
                    logger.notice("backfill continues", metadata: [
                        "backfill.step": "\(step)", "backfill.outage_seconds": "\((ContinuousClock.now - since).timeInterval)",
                    ])
                    state.outageSince = nil
                }
                return value
            } catch where !(error is CancellationError) {
                let since = state.outageSince ?? .now
                guard ContinuousClock.now - since < configuration.outageLimit else { throw error }
                if state.outageSince == nil {
                    logger.warning("backfill waiting for the broker or the database", metadata: [
                        "backfill.step": "\(step)", "error": "\(String(reflecting: error).prefix(300))",
                    ])
                    state.outageSince = since
                }
                try await Task.sleep(for: configuration.pollInterval)
            }
        }
    }
}
