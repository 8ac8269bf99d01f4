import Cache
import Contracts
import Foundation
import Logging
import Messaging
import Storage
import Tokenizer

/// Vectors for texts a request waits on: the Redis cache first, the misses by RPC to
/// the embedding workers, under a deadline.
struct QueryEmbedder: Sendable {
    struct Result: Sendable {
        var vectors: [[Float]]
        var tokens: [Int]
    }

    let cache: EmbeddingCache
    let rpc: RPCClient
    let topology: Topology
    let timeout: Duration
    /// Counts tokens for usage when the vocabulary is at hand; else the workers' counts
    /// (cache hits then count 0).
    let tokenizer: WordPieceTokenizer?

    func embed(_ texts: [String], space: ActiveSpace.Space, tenantID: String, logger: Logger) async throws -> Result {
        var vectors = await cache.lookup(space: space.id, entries: texts.map { (tenantID, $0) }, dimensions: space.dimensions)
        var tokens = tokenizer.map { tokenizer in texts.map(tokenizer.tokenCount) } ?? Array(repeating: 0, count: texts.count)
        let misses = vectors.indices.filter { vectors[$0] == nil }
        if !misses.isEmpty {
            let answer = try await ask(misses.map { texts[$0] }, space: space, tenantID: tenantID)
            for (position, index) in misses.enumerated() {
                vectors[index] = answer.vectors[position]
                if tokenizer == nil { tokens[index] = answer.tokens[position] }
            }
        }
        return Result(vectors: vectors.map { $0! }, tokens: tokens)
    }

    private func ask(_ texts: [String], space: ActiveSpace.Space, tenantID: String) async throws -> Result {
        let query = EmbedQuery(texts: texts, space: space.id, tenantID: tenantID)
        let result: EmbedQueryResult
        do {
            result = try await rpc.call(query, topology: topology, timeout: timeout).decoded()
        } catch .timeout {
            throw APIError.timeout("no embedding worker answered within \(timeout)", code: "embedding_timeout")
        } catch .unreachable {
            throw APIError.unavailable("the embedding service is unreachable", code: "broker_unavailable")
        } catch .failed(let failure) {
            throw APIError.unavailable(failure.message, code: "embedding_failed")
        } catch .malformed {
            throw APIError.unavailable("malformed answer from the embedding worker", code: "embedding_failed")
        }
        guard result.space == space.id else {
            throw APIError.unavailable(
                "the embedding workers serve space \(result.space), searches use \(space.id)", code: "embedding_space_mismatch")
        }
        guard let vectors = result.vectors(answering: query) else {
            throw APIError.unavailable("malformed answer from the embedding worker", code: "embedding_failed")
        }
        return Result(vectors: vectors, tokens: result.tokens)
    }
}
