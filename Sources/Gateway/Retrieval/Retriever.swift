import Contracts
import Foundation
import Logging
import Memory
import Storage

/// Hybrid retrieval over one user's memory: the query's vector and words against items
/// and messages (`RecallRepository`), fused with what the query says about time and
/// speakers (`Fusion`), one hit per thing said.
struct Retriever: Sendable {
    struct Search: Sendable {
        var tenantID: String
        var userID: String
        var query: String
        var topK: Int
        var filter: MemoryRepository.Filter
        var kinds: Set<RecallRepository.Kind>
        /// Reads "yesterday" and "in May" in the query.
        var timeZone: TimeZone
    }

    enum Hit: Sendable {
        case memory(MemoryRepository.Item, Fusion.Ranked)
        case message(Fusion.Ranked)

        var ranked: Fusion.Ranked {
            switch self {
            case .memory(_, let ranked), .message(let ranked): ranked
            }
        }
    }

    /// Recall may lag the primary by the replicas' bound: memories come from jobs anyway.
    let reads: ReadReplicas
    let space: ActiveSpace
    let commonTerms: CommonTermsCache
    let embedder: QueryEmbedder
    /// Counts the context block's tokens; nil = an estimate of 4 bytes a token.
    let tokenCount: (@Sendable (String) -> Int)?
    var fusion = Fusion()
    /// Candidates taken from each signal before fusion: deep enough that a hit ranked low
    /// by one signal and high by the other still meets.
    var depth = RecallRepository.defaultDepth

    func retrieve(_ search: Search, logger: Logger) async throws -> [Hit] {
        guard let space = try await space.current(logger: logger) else {
            throw APIError.unavailable("no embedding model registered yet: start an embedding worker", code: "no_embedding_space")
        }
        let vector = try await embedder.embed([search.query], space: space, tenantID: search.tenantID, logger: logger).vectors[0]
        let candidates = try await Telemetry.withDatabaseSpan("postgresql", operation: "SELECT", collection: "embeddings") {
            try await reads.read { client in
                try await RecallRepository(client: client).candidates(
                    .init(
                        tenantID: search.tenantID, userID: search.userID, filter: search.filter, kinds: search.kinds, spaceID: space.id,
                        vector: vector, text: search.query, depth: max(depth, search.topK * 3),
                        commonTerms: commonTerms),
                    logger: logger)
            }
        }
        let window = QueryTime.window(in: search.query, reference: Date(), timeZone: search.timeZone)
        let ranked = Fusion.distinct(
            fusion.rank(candidates, cues: Fusion.cues(query: search.query, window: window, candidates: candidates)), limit: search.topK)
        let itemIDs = ranked.filter { $0.candidate.kind == .memory }.map(\.candidate.id)
        let items = try await itemIDs.isEmpty ? [] : reads.read { client in
            try await MemoryRepository(client: client).get(ids: itemIDs, tenantID: search.tenantID, logger: logger)
        }
        let byID = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ranked.compactMap { hit in
            switch hit.candidate.kind {
            case .message: .message(hit)
            // Deleted between the two reads: gone.
            case .memory: byID[hit.candidate.id].map { .memory($0, hit) }
            }
        }
    }

    func context(from hits: [Hit], maxTokens: Int, timeZone: TimeZone) -> ContextBlock {
        ContextBlock.build(from: hits, maxTokens: maxTokens, timeZone: timeZone, tokenCount: tokens(in:))
    }

    /// `text`'s tokens as context blocks count them.
    func tokens(in text: String) -> Int {
        tokenCount?(text) ?? text.utf8.count / 4 + 2
    }
}
