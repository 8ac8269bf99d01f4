import Contracts
import Embeddings
import Foundation
import Logging
import Messaging
import Storage
import WorkerRuntime

/// `embed.v1`: vectors for the job's texts, stored idempotently, then an
/// `embedding.completed` event. The ack follows the commit.
struct EmbedJobHandler: JobHandler {
    let type = JobCatalog.embed
    let batcher: EmbeddingBatcher
    let publisher: Publisher
    let topology: Topology
    let jobs: JobRepository
    let logger: Logger

    func handle(_ job: JobEnvelope<EmbedJob>, context: JobContext) async throws {
        let space = batcher.space
        if let requested = job.payload.space, requested != space.id {
            throw JobFailure.permanent("this worker embeds into space '\(space.id)', not '\(requested)'")
        }
        let outcome = try await batcher.submit(tenantID: job.tenantID, items: job.payload.items)
        await recordResult(outcome, jobID: job.id)
        let event = EventEnvelope(
            id: "\(job.id):\(EventCatalog.embeddingCompleted.name)",
            tenantID: job.tenantID, correlationID: job.id, trace: job.trace,
            payload: EmbeddingCompleted(jobID: job.id, space: space.id, count: outcome.count, cached: outcome.cached))
        try await publisher.publish(.event(event, topology: topology))
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
