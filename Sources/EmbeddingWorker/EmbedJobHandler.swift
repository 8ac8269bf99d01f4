import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import Storage
import WorkerRuntime

/// `embed.v1`: vectors for the job's texts, stored idempotently, then an
/// `embedding.completed` event per space. The ack follows the commit. A job that names no
/// space goes into every space this worker serves: during a model change (docs/reembedding.md)
/// new memories land in the old and the new space alike.
struct EmbedJobHandler: JobHandler {
    let type = JobCatalog.embed
    /// The worker's spaces; the first is its own, any other the next model's.
    let batchers: [EmbeddingBatcher]
    let publisher: Publisher
    let topology: Topology
    let jobs: JobRepository
    let logger: Logger

    func handle(_ job: JobEnvelope<EmbedJob>, context: JobContext) async throws {
        var targets = batchers
        if let requested = job.payload.space {
            targets = batchers.filter { $0.space.id == requested }
            if targets.isEmpty {
                let served = batchers.map { "'\($0.space.id)'" }.joined(separator: ", ")
                throw JobFailure.permanent("this worker embeds into space \(served), not '\(requested)'")
            }
        }
        let outcomes = try await withThrowingTaskGroup(of: (EmbeddingSpace, EmbeddingBatcher.Outcome).self) { group in
            for batcher in targets {
                group.addTask { (batcher.space, try await batcher.submit(tenantID: job.tenantID, items: job.payload.items)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await recordResult(outcomes[0].1, jobID: job.id)
        context.summarize(["count": "\(outcomes[0].1.count)", "cached": "\(outcomes[0].1.cached)"])
        for (space, outcome) in outcomes {
            // The worker's own space keeps the plain id, so a consumer's dedup key is stable.
            let suffix = space == batchers[0].space ? "" : ":\(space.id)"
            let event = EventEnvelope(
                id: "\(job.id):\(EventCatalog.embeddingCompleted.name)\(suffix)",
                tenantID: job.tenantID, correlationID: job.id, trace: TraceContext.current ?? job.trace,
                payload: EmbeddingCompleted(jobID: job.id, space: space.id, count: outcome.count, cached: outcome.cached))
            try await publisher.publish(.event(event, topology: topology))
        }
    }

    /// Counts on the job's status row (a no-op for jobs without one), so a backfill can
    /// report cached vectors after its runner restarted. Best effort, like the status:
    /// the vectors are committed, so a failed write must not fail the job.
    private func recordResult(_ outcome: EmbeddingBatcher.Outcome, jobID: String) async {
        let result = #"{"count":\#(outcome.count),"cached":\#(outcome.cached)}"#
        do {
            try await jobs.recordResult(id: jobID, resultJSON: result, logger: logger)
        } catch {
            logger.warning("could not record the embed result", metadata: ["job.id": "\(jobID)", "error": "\(error)"])
        }
    }
}
