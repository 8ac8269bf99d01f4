import Cache
import Contracts
import Embeddings
import Foundation
import Logging
import Messaging

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

    func embed(_ texts: [String], space: ActiveSpace.Space, logger: Logger) async throws -> Result {
        var vectors = await cache.lookup(space: space.id, texts: texts, dimensions: space.dimensions)
        var tokens = tokenizer.map { tokenizer in texts.map(tokenizer.tokenCount) } ?? Array(repeating: 0, count: texts.count)
        let misses = vectors.indices.filter { vectors[$0] == nil }
        if !misses.isEmpty {
            let answer = try await ask(misses.map { texts[$0] }, space: space)
            for (position, index) in misses.enumerated() {
                vectors[index] = answer.vectors[position]
                if tokenizer == nil { tokens[index] = answer.tokens[position] }
            }
        }
        return Result(vectors: vectors.map { $0! }, tokens: tokens)
    }

    private func ask(_ texts: [String], space: ActiveSpace.Space) async throws -> Result {
        let body = try WireJSON.encoder().encode(EmbedQuery(texts: texts, space: space.id))
        let delivery: Delivery
        do {
            delivery = try await rpc.call(
                OutgoingMessage(
                    exchange: "", routingKey: topology.rpcQueue(.embed), body: body,
                    properties: MessageProperties(timestamp: Date(), type: EmbedQuery.type)),
                timeout: timeout)
        } catch let error as BrokerError where error.code == .replyTimeout {
            throw APIError.timeout("no embedding worker answered within \(timeout)", code: "embedding_timeout")
        } catch {
            throw APIError.unavailable("the embedding service is unreachable", code: "broker_unavailable")
        }
        if delivery.properties.type == RPCFailure.type {
            let failure = try? WireJSON.decoder().decode(RPCFailure.self, from: delivery.body)
            throw APIError.unavailable(failure?.message ?? "the embedding worker failed", code: "embedding_failed")
        }
        guard let result = try? WireJSON.decoder().decode(EmbedQueryResult.self, from: delivery.body),
              let vectors = result.decodedVectors(), vectors.count == texts.count, result.tokens.count == texts.count
        else {
            throw APIError.unavailable("malformed answer from the embedding worker", code: "embedding_failed")
        }
        guard result.space == space.id else {
            throw APIError.unavailable(
                "the embedding workers serve space \(result.space), searches use \(space.id)", code: "embedding_space_mismatch")
        }
        return Result(vectors: vectors, tokens: result.tokens)
    }
}
