import ArgumentParser
import Contracts
import Embeddings
import Foundation
import Gateway
import Logging
import Memory
import PostgresNIO
import ProactiveWorker
import Prometheus
import ServiceLifecycle
import Storage
import Tracing
import WorkerRuntime
import EmbeddingWorker
import SystemHarness

/// `make bench-gateway`: wrk on loopback against an in-process gateway (with an
/// embedding worker behind it): `/v1/embeddings` with a cached input, `/v1/retrieve`
/// (hybrid: exact vector scan and BM25 over one user's items and messages) with
/// `--memories` items and `--messages` messages stored for the tenant across `--users`
/// users, and `/healthz` as the same-run baseline of the HTTP stack itself.
struct BenchGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Gateway latency/throughput with wrk: cached embeddings and hybrid retrieve.")

    @Option(help: "Memory items stored for the retrieve benchmark (seeded once into the memgrid_bench_gateway database).")
    var memories = 100_000

    @Option(help: "Messages stored for the retrieve benchmark, beside the items.")
    var messages = 100_000

    @Option(help: "Users the items and messages are spread over; each retrieve searches one user's.")
    var users = 100

    @Option(help: "Seconds per wrk run.")
    var duration = 10

    @Option(help: "wrk connections for the saturation runs of both endpoints (and the healthz baseline).")
    var connections = 32

    @Option(help: "wrk connections for the cached-embeddings run reported on the last line.")
    var embeddingsConnections = 16

    @Option(help: "wrk connections for the retrieve run reported on the last line. Each search keeps one PostgreSQL core busy, so 2 saturates these 2 cores; a run at twice that shows the queueing beyond.")
    var retrieveConnections = 2

    @Option(help: "Distinct retrieve queries (also the recall sample).")
    var queries = 100

    @Option(help: "Items and messages from which a user is promoted to the large-user index (MEMGRID_LARGE_USER_ROWS).")
    var largeUserRows = ProactiveWorkerApp.Configuration.Maintenance.defaultLargeUserRows

    @Option(help: "Documents of the tenant for the document-search run (seeded once, like the memories); 0 skips it.")
    var documents = 0

    @Flag(help: "Run the gateway and the worker with spans exported over OTLP to a stand-in collector (every request sampled), to measure tracing's cost against a run without.")
    var tracing = false

    static let tenant = "bench-gateway"

    static func user(_ index: Int) -> String { "user-\(index)" }

    func run() async throws {
        var configuredLogger = Logger(label: "memgrid.bench")
        configuredLogger.logLevel = .warning
        let logger = configuredLogger
        let adminURL = ProcessInfo.processInfo.environment["MEMGRID_POSTGRES_URL"] ?? "postgres://memgrid@127.0.0.1:35432/memgrid"
        let benchDatabase = BenchDatabase(name: "memgrid_bench_gateway")
        let databaseURL = try benchDatabase.url(adminURL: adminURL)
        try await benchDatabase.createIfMissing(adminURL: adminURL, logger: logger)
        let system = try SystemHarness(databaseURL: databaseURL, prefix: benchPrefix("bench-gw"), logger: logger)
        let embedding = try EmbeddingWorkerApp.Configuration(environment: system.reader)
        let embedder = try LocalEmbedder(modelDirectory: embedding.modelDirectory, logger: logger)

        let key = try await DatabaseConfiguration.withClient(url: databaseURL, maxConnections: 4, logger: logger) { client in
            _ = try await Migrator().migrate(client, logger: logger)
            try await Self.seed(
                memories: memories, messages: messages, users: users, largeUserRows: largeUserRows, embedder: embedder, client: client,
                logger: logger)
            try await Self.seedDocuments(documents, embedder: embedder, client: client, logger: logger)
            return try await APIKeyRepository(client: client).create(tenantID: Self.tenant, name: "bench", logger: logger).secret
        }

        let sink = OTLPSink()
        let serve = { try await serveAndMeasure(system: system, embedder: embedder, key: key) }
        let (cached, retrieve, search): (Wrk.Result, Wrk.Result, Wrk.Result?)
        if tracing {
            (cached, retrieve, search) = try await sink.start(serviceName: "memgrid-bench", logger: logger).withExporting(logger: logger, serve)
            sink.stop()
            print("  tracing: every request sampled, exported over OTLP in \(sink.totals.requests) requests, \(sink.totals.bytes / 1024) KiB")
        } else {
            (cached, retrieve, search) = try await serve()
        }

        let asked = LocalEmbedder.BenchmarkCorpus(count: queries, seed: 7).sentences.enumerated().map { (Self.user($0 % users), $1) }
        let (recall, large) = try await Self.retrieveRecall(queries: asked, embedder: embedder, url: databaseURL, logger: logger)
        var summary = String(
            format: "bench-gateway: embeddings-cached %.0f req/s p99 %.2f ms; retrieve %.0f req/s p99 %.2f ms recall@10 %.3f (%d of %d queries for large users)",
            cached.requestsPerSecond, cached.p99, retrieve.requestsPerSecond, retrieve.p99, recall, large, queries)
        if let search {
            let candidates = try GatewayApp.Configuration(environment: system.reader).efSearch
            let recall = try await Self.documentRecall(
                queries: Self.documentQuestions(queries), candidates: candidates, embedder: embedder, url: databaseURL, logger: logger)
            summary += String(
                format: "; documents %d search %.0f req/s p99 %.2f ms recall@10 %.3f (%d candidates)",
                documents, search.requestsPerSecond, search.p99, recall, candidates)
        }
        print(summary)
    }

    static func documentQuestions(_ count: Int) -> [String] {
        LocalEmbedder.BenchmarkCorpus(count: count, seed: 11).sentences
    }

    /// Runs the gateway and the worker, measures every endpoint with wrk, stops them;
    /// returns the runs the last line reports.
    private func serveAndMeasure(
        system: SystemHarness, embedder: LocalEmbedder, key: String
    ) async throws -> (cached: Wrk.Result, retrieve: Wrk.Result, search: Wrk.Result?) {
        let gateway = try system.gateway()
        try system.embeddingWorker(embedder: embedder)
        try await system.waitUntilReady(timeout: .seconds(300))
        let port = try await system.ports(of: gateway).public

        let base = "http://127.0.0.1:\(port)"
        let questions = LocalEmbedder.BenchmarkCorpus(count: queries, seed: 7).sentences
        let embedBody = #"{"input":"What does the user like to drink in the morning?","model":"all-MiniLM-L6-v2"}"#
        let retrieveBodies = questions.enumerated().map { #"{"user_id":"\#(Self.user($0 % users))","query":"\#($1)","top_k":10}"# }
        // Warm the embedding cache so both runs measure the cached path.
        for body in [embedBody] + retrieveBodies {
            let path = body == embedBody ? "/v1/embeddings" : "/v1/retrieve"
            _ = try Wrk.post(url: base + path, body: body, key: key)
        }

        let healthz = try Wrk(seconds: duration, connections: connections).run(url: base + "/healthz", script: nil)
        print(String(format: "  healthz (baseline, %3d conns)  %8.0f req/s  p50 %.2f ms  p99 %.2f ms",
                     connections, healthz.requestsPerSecond, healthz.p50, healthz.p99))
        /// One wrk run, printed beside the baseline. Throughput saturates well below
        /// `connections`; the extra connections only queue, so each endpoint is also run
        /// at a moderate concurrency, and that run is the one on the last line.
        func measure(_ name: String, path: String, script: String, connections: Int) throws -> Wrk.Result {
            let result = try Wrk(seconds: duration, connections: connections).run(url: base + path, script: script)
            print("  \(name)" + String(format: " (%3d conns)  %8.0f req/s  p50 %.2f ms  p99 %.2f ms  (%.3f of baseline)",
                         connections, result.requestsPerSecond, result.p50, result.p99, result.requestsPerSecond / healthz.requestsPerSecond))
            return result
        }
        let embedScript = Wrk.postScript(bodies: [embedBody], key: key)
        let retrieveScript = Wrk.postScript(bodies: retrieveBodies, key: key)
        let runs = [
            try measure("embeddings-cached", path: "/v1/embeddings", script: embedScript, connections: connections),
            try measure("embeddings-cached", path: "/v1/embeddings", script: embedScript, connections: embeddingsConnections),
            try measure("retrieve         ", path: "/v1/retrieve", script: retrieveScript, connections: connections),
            try measure("retrieve         ", path: "/v1/retrieve", script: retrieveScript, connections: 2 * retrieveConnections),
            try measure("retrieve         ", path: "/v1/retrieve", script: retrieveScript, connections: retrieveConnections),
        ]
        let (cached, retrieve) = (runs[1], runs[4])
        var search: Wrk.Result?
        if documents > 0 {
            let bodies = Self.documentQuestions(queries).map { #"{"query":"\#($0)","top_k":10}"# }
            for body in bodies { _ = try Wrk.post(url: base + "/v1/documents/search", body: body, key: key) }
            search = try measure(
                "documents-search ", path: "/v1/documents/search", script: Wrk.postScript(bodies: bodies, key: key),
                connections: retrieveConnections)
        }
        let all = runs + (search.map { [$0] } ?? [])
        if all.contains(where: { $0.errors > 0 }) {
            print("  non-2xx responses per run: \(all.map(\.errors))")
        }

        await system.stop()
        return (cached, retrieve, search)
    }

    /// Stores `count` documents of the tenant once (kept, like the memories), embedded by
    /// the model, into the active space: its index grows with them, as with a backfill.
    static func seedDocuments(_ count: Int, embedder: LocalEmbedder, client: PostgresClient, logger: Logger) async throws {
        var stored = 0
        for try await value in try await client.query(
            "SELECT count(*)::int FROM documents WHERE tenant_id = \(tenant)", logger: logger
        ).decode(Int.self) { stored = value }
        guard stored != count else { return }
        print("  seeding \(count) documents (once; kept in the bench database)…")
        let start = ContinuousClock.now
        try await client.query("DELETE FROM documents WHERE tenant_id = \(tenant)", logger: logger)
        try await client.query("DELETE FROM embeddings WHERE tenant_id = \(tenant) AND target_kind = 'document'", logger: logger)
        let texts = LocalEmbedder.BenchmarkCorpus(count: count, seed: 3).sentences
        let (space, vectors) = (embedder.space, EmbeddingRepository(client: client))
        for chunk in stride(from: 0, to: count, by: 1024) {
            let positions = chunk..<min(chunk + 1024, count)
            let embedded = try await embedder.embed(Array(texts[positions]))
            try await vectors.upsert(
                zip(positions, embedded).map {
                    EmbeddingRepository.Row(
                        tenantID: tenant, targetKind: .document, targetID: "doc-\($0)", contentHash: "seed", embedding: $1, text: texts[$0])
                },
                spaceID: space.id, dimensions: space.dimensions, logger: logger)
        }
        for table in ["documents", "embeddings"] { try await client.query(PostgresQuery(unsafeSQL: "ANALYZE \(table)"), logger: logger) }
        print("  seeded documents in \(ContinuousClock.now - start) (model + inserts into the index)")
    }

    /// The share of each query's exact 10 nearest documents (a scan of every vector) that
    /// the search's vector ranking returns, with the gateway's session settings.
    static func documentRecall(queries: [String], candidates: Int, embedder: LocalEmbedder, url: String, logger: Logger) async throws -> Double {
        var configuration = try DatabaseConfiguration(url: url, maxConnections: 1)
        configuration.searchDocuments(candidates: candidates)
        let space = embedder.space
        let vectors = try await embedder.embed(queries)
        return try await DatabaseConfiguration.withClient(configuration, logger: logger) { client in
            var found = 0
            for (query, vector) in zip(queries, vectors) {
                let hits = try await DocumentRepository(client: client).search(
                    tenantID: tenant, filter: .init(), spaceID: space.id, dimensions: space.dimensions, vector: vector, text: query,
                    depth: 10, candidates: candidates, logger: logger)
                var exact: Set<String> = []
                for try await id in try await client.query("""
                    WITH asked AS MATERIALIZED (SELECT \(EmbeddingRepository.literal(vector))::vector AS v)
                    SELECT target_id FROM embeddings CROSS JOIN asked
                    WHERE space_id = \(space.id) AND tenant_id = \(tenant) AND target_kind = 'document'
                    ORDER BY embedding <=> asked.v LIMIT 10
                    """, logger: logger).decode(String.self) { exact.insert(id) }
                found += exact.intersection(hits.filter { $0.vector != nil }.map(\.document.externalID)).count
            }
            return Double(found) / Double(10 * queries.count)
        }
    }

    static func spaceID(client: PostgresClient, logger: Logger) async throws -> String {
        guard let space = try await EmbeddingSpaceRepository(client: client).active(logger: logger) else {
            throw ValidationError("no active embedding space")
        }
        return space.id
    }

    /// Stores the items and messages once, each kind in contiguous blocks per user (user
    /// `u` holds items `u·memories/users ..< (u+1)·memories/users`, likewise messages).
    /// Texts repeat across users past `distinctTexts` (never within a user of fewer
    /// rows), so a million rows embed 100,000 texts. Vectors come from the model; the
    /// users at or past `largeUserRows` are then promoted, their index built after the
    /// load (as the first promotion into an empty index would be).
    static func seed(
        memories: Int, messages: Int, users: Int, largeUserRows: Int, embedder: LocalEmbedder, client: PostgresClient, logger: Logger
    ) async throws {
        let counts = try await client.query("""
            SELECT (SELECT count(*) FROM memory_items WHERE tenant_id = \(tenant))::int,
                   (SELECT count(*) FROM memory_messages WHERE tenant_id = \(tenant))::int,
                   (SELECT count(DISTINCT user_id) FROM memory_items WHERE tenant_id = \(tenant))::int
                 + (SELECT count(DISTINCT user_id) FROM memory_messages WHERE tenant_id = \(tenant))::int
            """, logger: logger).decode((Int, Int, Int).self)
        var stored = (0, 0, 0)
        for try await value in counts { stored = value }
        let space = embedder.space
        let expected = (memories, messages, min(users, memories) + min(users, messages))
        if stored == expected, (try? await spaceID(client: client, logger: logger)) == space.id {
            try await promoteLargeUsers(largeUserRows, spaceID: space.id, dimensions: space.dimensions, client: client, logger: logger)
            return
        }

        print("  seeding \(memories) memories and \(messages) messages of \(users) users (once; kept in the bench database)…")
        let start = ContinuousClock.now
        try await client.query("DELETE FROM tenants WHERE id = \(tenant)", logger: logger)
        // A smaller seed after a larger one would otherwise be searched in the larger
        // one's pages (a sequential scan of 2,000 rows took 129 ms).
        for table in ["memory_items", "memory_messages", "embeddings"] {
            try await client.query(PostgresQuery(unsafeSQL: "VACUUM FULL \(table)"), logger: logger)
        }
        try await client.query("INSERT INTO tenants (id, name) VALUES (\(tenant), 'benchmark')", logger: logger)
        try await client.query("""
            INSERT INTO embedding_spaces (id, model, revision, dimensions) VALUES (\(space.id), \(space.model), \(space.revision), \(space.dimensions))
            ON CONFLICT (id) DO NOTHING
            """, logger: logger)
        let texts = LocalEmbedder.BenchmarkCorpus(count: min(memories + messages, distinctTexts), seed: 1).sentences
        let repository = MemoryRepository(client: client)
        let vectors = EmbeddingRepository(client: client)
        var embedded: [String: [Float]] = [:]
        let total = memories + messages
        for chunk in stride(from: 0, to: total, by: 2048) {
            let positions = Array(chunk..<min(chunk + 2048, total))
            let rows = try await client.withTransaction(logger: logger) { connection in
                var rows: [(kind: EmbeddingRepository.Row.TargetKind, id: String, text: String)] = []
                let (items, said) = (positions.filter { $0 < memories }, positions.filter { $0 >= memories }.map { $0 - memories })
                for (user, group) in Dictionary(grouping: items, by: { $0 * users / memories }).sorted(by: { $0.key < $1.key }) {
                    let itemTexts = group.map { texts[$0 % texts.count] }
                    let items = try await repository.record(
                        itemTexts.map {
                            MemoryRepository.NewItem(
                                type: "knowledge", text: $0, contentHash: MemoryRepository.contentHash(ofNormalized: MemoryText.normalized($0)),
                                categories: ["personal"], happenedAt: nil, validFrom: Date())
                        }, tenantID: tenant, userID: Self.user(user), agentID: nil, resourceID: nil, source: "seed-\(chunk)",
                        origin: .job("seed-\(chunk)"), on: connection, logger: logger
                    ).items
                    rows += items.map { (.memoryItem, $0.id, $0.text) }
                }
                for (user, group) in Dictionary(grouping: said, by: { $0 * users / messages }).sorted(by: { $0.key < $1.key }) {
                    let newMessages = group.map {
                        let text = (memories + $0) % texts.count
                        return MessageRepository.NewMessage(
                            messageID: "m\($0)", position: $0, role: "user", name: "Speaker \(text % 7)", content: texts[text],
                            sentAt: Date(timeIntervalSince1970: 1_680_000_000 + Double($0) * 600))
                    }
                    let stored = try await MessageRepository.record(
                        newMessages, tenantID: tenant, userID: Self.user(user), agentID: nil, resourceID: nil, jobID: "seed-\(chunk)",
                        on: connection, logger: logger)
                    rows += zip(stored, newMessages).map { (.message, $0.id, $1.embeddedText) }
                }
                return rows
            }
            let unseen = Array(Set(rows.map(\.text).filter { embedded[$0] == nil }))
            for (text, vector) in zip(unseen, try await embedder.embed(unseen)) { embedded[text] = vector }
            try await vectors.upsert(
                rows.map {
                    EmbeddingRepository.Row(
                        tenantID: tenant, targetKind: $0.kind, targetID: $0.id, contentHash: "seed", embedding: embedded[$0.text]!, text: $0.text)
                },
                spaceID: space.id, dimensions: space.dimensions, logger: logger)
        }
        let loaded = ContinuousClock.now
        try await vectors.register(spaceID: space.id, model: space.model, revision: space.revision, dimensions: space.dimensions, logger: logger)
        try await client.query("UPDATE embedding_spaces SET active = (id = \(space.id))", logger: logger)
        for table in ["memory_items", "memory_messages", "embeddings"] {
            try await client.query(PostgresQuery(unsafeSQL: "ANALYZE \(table)"), logger: logger)
        }
        print("  seeded in \(loaded - start) (model + inserts), HNSW index built in \(ContinuousClock.now - loaded)")
        try await promoteLargeUsers(largeUserRows, spaceID: space.id, dimensions: space.dimensions, client: client, logger: logger)
    }

    /// Texts the model embeds for the seed at most.
    static let distinctTexts = 100_000

    /// Promotes the bench tenant's users at or past `rows` that are not large yet (as the
    /// proactive worker's maintenance would), building the user index after marking.
    static func promoteLargeUsers(_ rows: Int, spaceID: String, dimensions: Int, client: PostgresClient, logger: Logger) async throws {
        let users = LargeUserRepository(client: client)
        let crossing = try await users.crossing(threshold: rows, from: nil, to: Date(), tenantID: tenant, logger: logger)
        guard !crossing.isEmpty else { return }
        let start = ContinuousClock.now
        try await client.query(
            PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(EmbeddingSpaceRepository.userIndexName(spaceID))"), logger: logger)
        try await users.promote(crossing, logger: logger)
        let marked = ContinuousClock.now
        try await EmbeddingSpaceRepository(client: client).buildIndex(spaceID: spaceID, dimensions: dimensions, logger: logger)
        try await client.query("ANALYZE embeddings", logger: logger)
        print("  promoted \(crossing.count) large users (≥ \(rows) rows) in \(marked - start), user index built in \(ContinuousClock.now - marked)")
    }

    /// The share of each retrieve query's exact 10 nearest (a scan of every vector of the
    /// user's items and messages) among the first 10 of the search's vector rankings (at
    /// the gateway's depth); with how many of the queried users were large.
    static func retrieveRecall(
        queries: [(user: String, text: String)], embedder: LocalEmbedder, url: String, logger: Logger
    ) async throws -> (recall: Double, large: Int) {
        let space = embedder.space
        let vectors = try await embedder.embed(queries.map(\.text))
        return try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger) { client in
            var (found, large) = (0, 0)
            for ((user, text), vector) in zip(queries, vectors) {
                let request = RecallRepository.Request(
                    tenantID: tenant, userID: user, filter: .init(), kinds: [.memory, .message], spaceID: space.id, vector: vector,
                    text: text, depth: RecallRepository.defaultDepth)
                let hits = try await RecallRepository(client: client).candidates(request, logger: logger)
                var exact: [(distance: Double, id: String)] = []
                for try await (id, distance) in try await client.query("""
                    WITH asked AS MATERIALIZED (SELECT \(EmbeddingRepository.literal(vector))::vector AS v),
                    owned AS (
                        SELECT 'memory_item' AS kind, id FROM memory_items WHERE tenant_id = \(tenant) AND user_id = \(user)
                        UNION ALL SELECT 'message', id FROM memory_messages WHERE tenant_id = \(tenant) AND user_id = \(user)
                    )
                    SELECT o.id, e.embedding <=> asked.v FROM owned o CROSS JOIN asked
                    JOIN embeddings e ON e.space_id = \(space.id) AND e.tenant_id = \(tenant) AND e.target_kind = o.kind AND e.target_id = o.id
                    """, logger: logger).decode((String, Double).self) { exact.append((distance, id)) }
                // The search ranks items and messages apart; the 10 nearest of both are among
                // the 10 nearest of each.
                let nearest = Set(exact.sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }.prefix(10).map(\.id))
                found += nearest.intersection(hits.filter { ($0.vector?.rank ?? .max) <= 10 }.map(\.id)).count
                for try await _ in try await client.query(
                    "SELECT 1 FROM large_users WHERE tenant_id = \(tenant) AND user_id = \(user)", logger: logger
                ).decode(Int.self) { large += 1 }
            }
            return (Double(found) / Double(10 * queries.count), large)
        }
    }
}

/// Runs wrk and reads its summary.
struct Wrk {
    struct Result: Sendable {
        var requestsPerSecond: Double
        /// Milliseconds.
        var p50: Double
        var p99: Double
        var errors: Int
    }

    let seconds: Int
    let connections: Int

    func run(url: String, script: String?) throws -> Result {
        var arguments = ["-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "--latency"]
        var scriptFile: URL?
        if let script {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-wrk-\(UUID().uuidString).lua")
            try script.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["-s", file.path]
            scriptFile = file
        }
        defer { scriptFile.map { try? FileManager.default.removeItem(at: $0) } }
        let output = try Self.execute("wrk", arguments + [url])
        func value(after label: String) -> String? {
            output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }
                .map { $0.trimmingCharacters(in: .whitespaces).dropFirst(label.count).trimmingCharacters(in: .whitespaces) }
        }
        guard let rate = value(after: "Requests/sec:").flatMap(Double.init),
              let p50 = value(after: "50%").flatMap(Self.milliseconds), let p99 = value(after: "99%").flatMap(Self.milliseconds)
        else { throw ValidationError("could not read wrk's output:\n\(output)") }
        let errors = value(after: "Non-2xx or 3xx responses:").flatMap { Int($0) } ?? 0
        return Result(requestsPerSecond: rate, p50: p50, p99: p99, errors: errors)
    }

    /// A wrk script posting the bodies round-robin with JSON and auth headers.
    static func postScript(bodies: [String], key: String) -> String {
        let list = bodies.map { "[==[\($0)]==]" }.joined(separator: ",\n")
        return """
            local bodies = {\(list)}
            local i = 0
            local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer \(key)"}
            request = function()
              i = i % #bodies + 1
              return wrk.format("POST", nil, headers, bodies[i])
            end
            """
    }

    /// One request with curl, failing on a non-2xx answer (the warm-up).
    static func post(url: String, body: String, key: String) throws -> String {
        try execute("curl", ["-sf", "-X", "POST", url, "-H", "Content-Type: application/json", "-H", "Authorization: Bearer \(key)", "-d", body])
    }

    static func milliseconds(_ text: String) -> Double? {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }

    static func execute(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(tool) exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
