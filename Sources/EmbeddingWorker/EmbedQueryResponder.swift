import Contracts
import Embeddings
import WorkerRuntime

/// Answers `embed_query.v1` RPC requests with vectors from the batcher of the asked
/// space (cache, then the model, batched with queued jobs). Nothing is stored.
struct EmbedQueryResponder: RPCHandler {
    /// Bounds one request like `EmbedJob.maxItems` bounds a job.
    static let maxTexts = 2048

    /// The worker's spaces; the first answers queries that name none.
    let batchers: [EmbeddingBatcher]

    func answer(_ query: EmbedQuery, context: RPCContext<EmbedQuery>) async throws(RPCFailure) -> EmbedQueryResult {
        guard (1...Self.maxTexts).contains(query.texts.count), query.texts.allSatisfy({ !$0.isEmpty }) else {
            throw RPCFailure(code: "invalid", message: "texts: 1 to \(Self.maxTexts) non-empty strings")
        }
        let asked = if let space = query.space { batchers.first { $0.space.id == space } } else { batchers.first }
        guard let batcher = asked else {
            throw RPCFailure(code: "unavailable", message: "this worker does not serve space '\(query.space ?? "")'")
        }
        guard batcher.isReady else { throw RPCFailure(code: "unavailable", message: "the model is still loading") }
        do {
            let outcome = try await batcher.query(query.texts, tenantID: query.tenantID)
            return EmbedQueryResult(space: batcher.space.id, vectors: outcome.vectors, tokens: outcome.tokens)
        } catch {
            throw RPCFailure(code: "unavailable", message: "embedding failed: \(error)")
        }
    }
}
