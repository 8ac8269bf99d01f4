import Contracts
import Logging
import Metrics
import Storage
import WorkerRuntime

/// `consolidate.v1`: merges the user's near-duplicate memories in the active embedding
/// space (see `ConsolidationRepository.consolidate`). Idempotent: a redelivered job finds
/// nothing left to merge. Without an active space (no embedding worker ever ran) there
/// are no vectors to compare, and the job does nothing.
struct ConsolidateJobHandler: JobHandler {
    let consolidation: ConsolidationRepository
    let threshold: Double
    let merged: Counter
    let groups: Counter
    /// Consolidation compares vectors of the space searches use.
    let spaces: EmbeddingSpaceRepository

    init(consolidation: ConsolidationRepository, threshold: Double, factory: any MetricsFactory) {
        self.consolidation = consolidation
        spaces = EmbeddingSpaceRepository(client: consolidation.client)
        self.threshold = threshold
        merged = Counter(label: "memgrid_memories_merged_total", factory: factory)
        groups = Counter(label: "memgrid_memory_merge_groups_total", factory: factory)
    }

    var type: JobType { JobCatalog.consolidate }

    func handle(_ job: JobEnvelope<ConsolidateJob>, context: JobContext) async throws {
        let outcome = try await StorageFailure.classifying { () -> ConsolidationRepository.Outcome in
            guard let space = try await spaces.active(logger: context.logger)?.id else {
                return ConsolidationRepository.Outcome()
            }
            return try await consolidation.consolidate(
                tenantID: job.tenantID, userID: job.payload.userID, spaceID: space,
                threshold: job.payload.threshold ?? threshold, jobID: job.id, logger: context.logger)
        }
        merged.increment(by: outcome.merged)
        groups.increment(by: outcome.groups)
        if outcome.merged > 0 {
            context.logger.info("merged near-duplicate memories", metadata: [
                "user.id": "\(job.payload.userID)", "memory.groups": "\(outcome.groups)", "memory.merged": "\(outcome.merged)",
            ])
        }
    }
}
