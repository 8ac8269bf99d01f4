import Contracts
import Foundation
import Logging
import Memory
import Messaging
import Storage
import WorkerRuntime

/// The user's current memories an extraction call is shown (`extract_memories.v4`), so
/// the model can reinforce or supersede them: the nearest to what the speakers said, by
/// vector (the mean of their messages' vectors, asked of the embedding workers) fused
/// with the best by words (BM25), at most `limit`. Without an answer from the embedding
/// workers within `timeout`, by words only: memorize never waits on them for long.
///
/// Chosen before anything of the job is stored. A redelivered job may be shown its own
/// items of the first delivery; restating them reinforces nothing (one source, one count).
struct KnownMemories: Sendable {
    let recall: RecallRepository
    /// Asks the embedding workers for vectors (`embed_query.v1`).
    let rpc: RPCClient
    let topology: Topology
    let timeout: Duration
    var limit = 20
    /// Messages embedded for the query.
    var maxMessages = 16

    func related(to job: JobEnvelope<MemorizeJob>, logger: Logger) async throws -> [MemoryExtractionPrompt.Known] {
        let said = job.payload.messages.filter { $0.role == .user }.map(\.content).filter { !$0.allSatisfy(\.isWhitespace) }
        guard !said.isEmpty else { return [] }
        var vector: [Float]?
        var space = ""
        do {
            let query = EmbedQuery(texts: Array(said.suffix(maxMessages)), tenantID: job.tenantID)
            let answer = try await rpc.call(query, topology: topology, timeout: timeout).decoded()
            guard let vectors = answer.vectors(answering: query) else { throw RPCCallError.malformed("vectors do not match the texts") }
            vector = Self.mean(vectors)
            space = answer.space
        } catch {
            logger.info("no conversation vector; known memories chosen by words", metadata: ["error": "\(error)"])
        }
        let request = RecallRepository.Request(
            tenantID: job.tenantID, userID: job.payload.userID, filter: MemoryRepository.Filter(agentID: job.payload.agentID),
            kinds: [.memory], spaceID: space, vector: vector, text: said.joined(separator: "\n"), depth: limit)
        let found = try await StorageFailure.classifying { try await recall.candidates(request, logger: logger) }
        // Reciprocal rank fusion of the two rankings (k = 20, as in retrieve).
        func fused(_ candidate: RecallRepository.Candidate) -> Double {
            [candidate.vector?.rank, candidate.lexical?.rank].compactMap { $0 }.reduce(0) { $0 + 1 / Double(20 + $1) }
        }
        let ranked = found.sorted { (fused($0), $1.id) > (fused($1), $0.id) }.prefix(limit)
        return MemoryExtractionPrompt.Known.keyed(ranked.map { ($0.id, $0.text) })
    }

    /// The normalized mean: one query for the whole conversation.
    static func mean(_ vectors: [[Float]]) -> [Float]? {
        guard let first = vectors.first else { return nil }
        var sum = [Float](repeating: 0, count: first.count)
        for vector in vectors where vector.count == sum.count {
            for index in sum.indices { sum[index] += vector[index] }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? sum.map { $0 / norm } : nil
    }
}
