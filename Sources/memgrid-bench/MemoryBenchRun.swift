import ArgumentParser
import Contracts
import Foundation

/// The steps of `bench memory` over the public API: memorize the sessions, wait for the
/// jobs, ask the questions, embed the turns for the baseline, list what was extracted.
final class MemoryBenchRun {
    /// The turns of a conversation that at least one memory item cites.
    struct Coverage {
        var memories: Int
        var turns: Int
    }

    let client: GatewayClient
    let batch: Int
    let timeout: Duration
    init(client: GatewayClient, batch: Int, timeout: Duration) {
        self.client = client
        self.batch = batch
        self.timeout = timeout
    }

    /// One memgrid user per conversation.
    static func user(_ conversation: LoCoMo) -> String { "locomo-\(conversation.id)" }

    private struct MemorizeBody: Encodable {
        var userID: String
        var messages: [MemorizeJob.Message]
        var occurredAt: Date

        enum CodingKeys: String, CodingKey {
            case messages
            case userID = "user_id"
            case occurredAt = "occurred_at"
        }
    }

    private struct Purged: Decodable {
        var deleted: Int
    }

    /// Purges each conversation's user, then submits every session as one memorize call,
    /// in order. Returns the job ids.
    func memorize(_ conversations: [LoCoMo]) async throws -> [String] {
        var jobs: [String] = []
        for conversation in conversations {
            let user = Self.user(conversation)
            _ = try await client.delete("/v1/memories?user_id=\(user)", as: Purged.self)
            for session in conversation.sessions where !session.turns.isEmpty {
                jobs.append(try await submit(session, user: user))
            }
        }
        return jobs
    }

    private func submit(_ session: LoCoMo.Session, user: String) async throws -> String {
        let body = MemorizeBody(
            userID: user,
            messages: session.turns.map { turn in
                MemorizeJob.Message(role: .user, content: turn.text, createdAt: session.startedAt, name: turn.speaker, id: turn.id)
            },
            occurredAt: session.startedAt)
        return try await client.post("/v1/memorize", body, as: GatewayClient.Job.self).id
    }

    /// Polls the jobs until each one and all its children (embed jobs) succeeded; a
    /// dead-lettered one fails the run. Returns the number of children.
    func waitForJobs(_ ids: [String]) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var pending = ids
        var children = 0
        var reported = ContinuousClock.now
        while !pending.isEmpty {
            var still: [String] = []
            for id in pending {
                let job = try await client.get("/v1/jobs/\(id)", as: GatewayClient.Job.self)
                for failed in [job] + (job.children ?? []) where failed.isDeadLettered {
                    throw ValidationError("job \(failed.id) (of memorize job \(id)) was dead-lettered: \(failed.error ?? "no error recorded")")
                }
                // Children are recorded with the parent's result, before it succeeds.
                if job.isSucceeded, (job.children ?? []).allSatisfy(\.isSucceeded) {
                    children += job.children?.count ?? 0
                } else {
                    still.append(id)
                }
            }
            pending = still
            guard !pending.isEmpty else { break }
            guard ContinuousClock.now < deadline else {
                throw ValidationError("\(pending.count) of \(ids.count) memorize jobs not done after \(timeout), e.g. \(pending[0])")
            }
            if ContinuousClock.now - reported > .seconds(15) {
                print("  waiting: \(ids.count - pending.count) of \(ids.count) memorize jobs done with their embed jobs")
                reported = .now
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return children
    }

    private struct RetrieveBody: Encodable {
        var userID: String
        var query: String
        var topK: Int

        enum CodingKeys: String, CodingKey {
            case query
            case userID = "user_id"
            case topK = "top_k"
        }
    }

    /// One timed `POST /v1/retrieve`.
    func retrieve(_ query: String, user: String) async throws -> (hits: [GatewayClient.Hit], elapsed: Duration) {
        let start = ContinuousClock.now
        let list = try await client.post(
            "/v1/retrieve", RetrieveBody(userID: user, query: query, topK: BenchMemoryCommand.topK),
            as: GatewayClient.List<GatewayClient.Hit>.self)
        return (list.data, ContinuousClock.now - start)
    }

    private struct EmbeddingsBody: Encodable {
        var input: [String]
        var model: String
    }

    /// Vectors for `texts` from `/v1/embeddings`, `batch` texts a call.
    func embed(_ texts: [String], model: String) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: batch) {
            let input = Array(texts[start..<min(start + batch, texts.count)])
            let list = try await client.post(
                "/v1/embeddings", EmbeddingsBody(input: input, model: model), as: GatewayClient.List<GatewayClient.Embedding>.self)
            guard list.data.count == input.count else {
                throw ValidationError("/v1/embeddings answered \(list.data.count) vectors for \(input.count) inputs")
            }
            vectors += list.data.sorted { $0.index < $1.index }.map(\.embedding)
        }
        return vectors
    }

    /// Every turn as "Speaker: text", each question embedded the same way, exact cosine
    /// top k over the conversation's turns; each hit cites its one turn.
    func baseline(_ conversations: [LoCoMo]) async throws -> EvidenceRecall {
        guard let model = try await client.get("/v1/models", as: GatewayClient.List<GatewayClient.Model>.self).data.first?.id else {
            throw ValidationError("/v1/models lists no model")
        }
        var recall = EvidenceRecall()
        for conversation in conversations {
            let turns = conversation.turns
            let index = ExactCosineIndex(try await embed(turns.map { "\($0.speaker): \($0.text)" }, model: model))
            let questions = try await embed(conversation.questions.map(\.text), model: model)
            for (question, vector) in zip(conversation.questions, questions) {
                let hits = index.nearest(vector, k: BenchMemoryCommand.topK).map { [turns[$0].id] }
                recall.add(
                    conversation: conversation.id, category: question.category,
                    recall: EvidenceRecall.score(hits: hits, evidence: question.evidence, slots: BenchMemoryCommand.topK))
            }
        }
        return recall
    }

    /// Lists the user's memory items (every page) and counts the conversation's turns
    /// they cite.
    func coverage(_ conversation: LoCoMo) async throws -> Coverage {
        let user = Self.user(conversation)
        var cited = Set<String>()
        var memories = 0
        var cursor: String?
        repeat {
            let page = try await client.get(
                "/v1/memories?user_id=\(user)&limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""),
                as: GatewayClient.List<GatewayClient.Hit>.self)
            memories += page.data.count
            for item in page.data { cited.formUnion(item.messageIDs ?? []) }
            cursor = page.nextCursor
        } while cursor != nil
        return Coverage(memories: memories, turns: cited.intersection(conversation.turns.map(\.id)).count)
    }
}
