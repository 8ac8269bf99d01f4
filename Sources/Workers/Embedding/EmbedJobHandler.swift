import Contracts
import Embeddings
import Foundation
import Messaging
import WorkerRuntime

/// `embed.v1`: vectors for the job's texts, stored idempotently, then an
/// `embedding.completed` event. The ack follows the commit.
struct EmbedJobHandler: JobHandler {
    let type = JobCatalog.embed
    let batcher: EmbeddingBatcher
    let publisher: Publisher
    let topology: Topology

    func handle(_ job: JobEnvelope<EmbedJob>, context: JobContext) async throws {
        let space = batcher.space
        if let requested = job.payload.space, requested != space.id {
            throw JobFailure.permanent("this worker embeds into space '\(space.id)', not '\(requested)'")
        }
        let outcome = try await batcher.submit(tenantID: job.tenantID, items: job.payload.items)
        let event = EventEnvelope(
            id: "\(job.id):\(EventCatalog.embeddingCompleted.name)",
            tenantID: job.tenantID, correlationID: job.id, trace: job.trace,
            payload: EmbeddingCompleted(jobID: job.id, space: space.id, count: outcome.count, cached: outcome.cached))
        try await publisher.publish(.event(event, topology: topology))
    }
}
