import ArgumentParser
import AsyncHTTPClient
import Contracts
import Foundation
import Logging
import Storage

/// `make bench-memory`: LoCoMo conversations memorized session by session through
/// `POST /v1/memorize` (rule-based extractor, no LLM), then every question of categories
/// 1–4 asked of `POST /v1/retrieve`, scored by evidence recall@10: the share of the
/// question's evidence turns that the hits fitting into 10 slots stand on. The baseline,
/// in the same run: every turn embedded as it is through `/v1/embeddings`, exact cosine
/// top 10 per conversation.
struct BenchMemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "LoCoMo evidence recall@10 of memorize + retrieve vs. embedding every turn; retrieve latency.")

    @Option(help: "Directory of LoCoMo-format JSON files (one conversation each).")
    var dataset = "../shared/datasets/locomo-dev"

    @Option(help: "Only the first N conversations (files in name order).")
    var conversations: Int?

    @Option(help: "Only the first N sessions of each conversation, and the questions whose evidence lies in them.")
    var limitSessions: Int?

    @Option(help: "Run against this gateway instead of starting one in-process (with --api-key). Its users locomo-<file> are purged first.")
    var gatewayURL: String?

    @Option(help: "Key for --gateway-url.")
    var apiKey: String?

    @Option(help: "Texts per /v1/embeddings call for the baseline.")
    var batch = 64

    @Option(help: "Seconds to wait for the memorize jobs and their embed jobs.")
    var timeout = 3600

    @Option(help: "Promote the conversations' users with at least this many items and messages to the large-user index before asking (as the proactive worker's maintenance would), to measure recall on the approximate path; in-process only.")
    var largeUserRows: Int?

    static let tenant = "bench-memory"
    static let topK = 10
    static let categories = 1...4

    func validate() throws {
        guard (gatewayURL == nil) == (apiKey == nil) else { throw ValidationError("--gateway-url and --api-key go together") }
        guard largeUserRows == nil || gatewayURL == nil else { throw ValidationError("--large-user-rows needs the in-process stack") }
        guard (1...2048).contains(batch) else { throw ValidationError("--batch must be between 1 and 2048") }
    }

    func run() async throws {
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        var loaded = try LoCoMo.load(directory: URL(fileURLWithPath: dataset))
        if let conversations { loaded = Array(loaded.prefix(conversations)) }
        if let limitSessions { loaded = loaded.map { $0.prefix(sessions: limitSessions) } }
        var withoutEvidence = 0
        for index in loaded.indices {
            loaded[index].questions.removeAll { !Self.categories.contains($0.category) }
            withoutEvidence += loaded[index].questions.count { $0.evidence.isEmpty }
            loaded[index].questions.removeAll { $0.evidence.isEmpty }
        }
        let conversations = loaded
        print("bench-memory: \(conversations.count) conversations, \(conversations.map(\.sessions.count).reduce(0, +)) sessions, "
            + "\(conversations.map(\.turns.count).reduce(0, +)) turns, \(conversations.map(\.questions.count).reduce(0, +)) questions "
            + "(categories \(Self.categories.lowerBound)-\(Self.categories.upperBound); \(withoutEvidence) without evidence skipped) from \(dataset)")

        let stack: InProcessStack? = if gatewayURL == nil {
            try await InProcessStack.start(database: BenchDatabase(name: "memgrid_bench_memory"), tenant: Self.tenant, logger: logger)
        } else {
            nil
        }
        let client = GatewayClient(
            baseURL: gatewayURL ?? stack!.baseURL, apiKey: apiKey ?? stack!.apiKey, http: HTTPClient.shared)
        let result: Result<Void, any Error>
        do {
            try await measure(conversations, client: client, stack: stack)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await stack?.stop()
        try result.get()
    }

    private func measure(_ conversations: [LoCoMo], client: GatewayClient, stack: InProcessStack?) async throws {
        let run = MemoryBenchRun(client: client, batch: batch, timeout: .seconds(timeout))
        // The baseline goes first and embeds the questions, so the timed retrieve calls
        // below read their query vectors from the cache on every run alike: the latency
        // is the search and the HTTP round trip.
        let baseline = try await run.baseline(conversations)
        print(String(format: "baseline (every turn embedded, exact cosine top %d): recall@%d %.3f", Self.topK, Self.topK, baseline.mean()))

        let start = ContinuousClock.now
        let jobs = try await run.memorize(conversations)
        let children = try await run.waitForJobs(jobs)
        print("memorized \(jobs.count) sessions: \(jobs.count) memorize + \(children) embed jobs in \(Self.seconds(ContinuousClock.now - start)) s")
        if let largeUserRows, let stack {
            try await Self.promote(atLeast: largeUserRows, databaseURL: stack.databaseURL)
        }

        var memgrid = EvidenceRecall()
        var latencies: [Duration] = []
        for conversation in conversations {
            for question in conversation.questions {
                let (hits, elapsed) = try await run.retrieve(question.text, user: MemoryBenchRun.user(conversation))
                latencies.append(elapsed)
                memgrid.add(
                    conversation: conversation.id, category: question.category,
                    recall: EvidenceRecall.score(hits: hits.map { $0.messageIDs ?? [] }, evidence: question.evidence, slots: Self.topK))
            }
        }
        var coverage: [MemoryBenchRun.Coverage] = []
        for conversation in conversations { coverage.append(try await run.coverage(conversation)) }

        print("conversation  turns  questions  memories  coverage  recall@10  baseline")
        for (conversation, covered) in zip(conversations, coverage) {
            let name = MemoryBenchRun.user(conversation).padding(toLength: 12, withPad: " ", startingAt: 0)
            print(name + String(
                format: "  %5d  %9d  %8d  %8.3f  %9.3f  %8.3f", conversation.turns.count,
                conversation.questions.count, covered.memories, Double(covered.turns) / Double(max(1, conversation.turns.count)),
                memgrid.mean(conversation: conversation.id), baseline.mean(conversation: conversation.id)))
        }
        let turns = conversations.map(\.turns.count).reduce(0, +)
        let cited = coverage.map(\.turns).reduce(0, +)
        print(String(format: "turn coverage: %d of %d turns cited by a memory item (%.3f)", cited, turns, Double(cited) / Double(max(1, turns))))
        print("category  questions  recall@10  baseline")
        for category in Self.categories where memgrid.count(category: category) > 0 {
            print(String(
                format: "%8d  %9d  %9.3f  %8.3f", category, memgrid.count(category: category), memgrid.mean(category: category),
                baseline.mean(category: category)))
        }
        if memgrid.samples.isEmpty { throw ValidationError("no questions of categories 1-4 to score") }
        let (r, b) = (memgrid.mean(), baseline.mean())
        let sorted = latencies.sorted()
        print(String(
            format: "bench-memory: recall@10 %.3f baseline %.3f ratio %.3f; retrieve p50 %.1f ms p99 %.1f ms",
            r, b, b > 0 ? r / b : 0, Self.milliseconds(Self.percentile(sorted, 0.50)), Self.milliseconds(Self.percentile(sorted, 0.99))))
    }

    /// Nearest-rank percentile of sorted samples.
    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", milliseconds(duration) / 1000)
    }

    /// Promotes the tenant's users at or past `rows` items and messages, and says how many.
    static func promote(atLeast rows: Int, databaseURL: String) async throws {
        let logger = Logger(label: "memgrid.bench")
        try await DatabaseConfiguration.withClient(url: databaseURL, maxConnections: 2, logger: logger) { client in
            let users = LargeUserRepository(client: client)
            let crossing = try await users.crossing(threshold: rows, from: nil, to: Date(), tenantID: tenant, logger: logger)
            try await users.promote(crossing, logger: logger)
            print("promoted \(crossing.count) users with at least \(rows) items and messages to the large-user index")
        }
    }
}
