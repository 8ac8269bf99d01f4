import Backfill
import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import Testing
import TestSupport
import WorkerRuntime

extension EmbeddingWorkerFixture {
    /// A runner for tenant `t1` on this fixture's database, broker topology and publisher.
    func backfill(
        id: String, chunkSize: Int = 8, maxInFlight: Int = 2, dryRun: Bool = false, client: PostgresClient
    ) -> BackfillRunner {
        BackfillRunner(
            configuration: .init(
                tenantID: "t1", backfillID: id, chunkSize: chunkSize, maxInFlight: maxInFlight, maxQueueDepth: 100,
                pollInterval: .milliseconds(50), dryRun: dryRun),
            repository: BackfillRepository(client: client), publisher: parts.publisher, admin: TestBroker.admin,
            topology: topology, logger: logger)
    }

    /// Runs `body` with a client on the fixture's database.
    func withClient<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await database.withClient(url: database.url, body)
    }
}

/// Writes `lines` to a new temporary file with the given extension.
func temporaryFile(_ lines: [String], extension ext: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-\(UUID().uuidString).\(ext)")
    try Data(lines.joined(separator: "\n").utf8).write(to: url)
    return url
}

/// JSON Lines of `count` valid documents with unique texts, ids `doc-0`….
func validLines(_ count: Int, run: Substring) -> [String] {
    (0..<count).map { #"{"id": "doc-\#($0)", "text": "Backfilled text \#($0) of run \#(run).", "user_id": "u\#($0 % 3)"}"# }
}

@Suite("Backfills through real embedding workers", .serialized)
struct BackfillTests {
    @Test("JSONL: every valid line embedded once, each bad line rejected with its line number; a second backfill is all cache hits")
    func jsonLines() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        var lines = validLines(30, run: run)
        let bad = [
            (#"{"id": "x1", "text": "#, "not a JSON object"),
            (#"{"text": "no id here"}"#, "missing id"),
            (#"{"id": "x2"}"#, "missing text"),
            (#"{"id": "x3", "text": "   "}"#, "text is empty"),
            (#"{"id": "doc-4", "text": "a second doc-4"}"#, "duplicate id (an earlier input has the same id)"),
            (#"{"id": "x4", "text": "bad metadata", "metadata": {"tags": ["a"]}}"#, "metadata.tags must be a string, number or boolean"),
            (#"{"id": "x5", "text": "\#(String(repeating: "long ", count: 7000))"}"#, "text is longer than 32768 characters"),
        ]
        // Bad lines spread among the good ones, plus a blank line that is skipped.
        for (offset, entry) in bad.enumerated() { lines.insert(entry.0, at: 3 + offset * 4) }
        lines.insert("", at: 10)
        lines.append(#"{"id": 99, "text": "numeric id \#(run)", "metadata": {"lang": "en", "rank": 2, "new": true}}"#)
        let file = try temporaryFile(lines, extension: "jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let expectedRejections = bad.map { entry in
            BackfillRejection(line: lines.firstIndex(of: entry.0)! + 1, error: entry.1)
        }

        let (summary, again, documents, numeric, progress) = try await fixture.withClient { client in
            let summary = try await fixture.backfill(id: "first", client: client).run(source: JSONLinesSource(url: file))
            let again = try await fixture.backfill(id: "second", client: client).run(source: JSONLinesSource(url: file))
            let documents = try await fixture.count("SELECT count(*)::int FROM documents WHERE tenant_id = 't1'")
            let rows = try await client.query(
                "SELECT text, metadata::text FROM documents WHERE tenant_id = 't1' AND external_id = '99'", logger: fixture.logger)
            var numeric: (String, String)?
            for try await row in rows.decode((String, String).self) { numeric = row }
            let progress = try await BackfillRepository(client: client).progress(tenantID: "t1", backfillID: "first", logger: fixture.logger)
            return (summary, again, documents, numeric, progress)
        }
        await fixture.stop()

        #expect(summary.rejections == expectedRejections)
        #expect(summary.progress.invalid == bad.count)
        #expect(summary.progress.done == 31 && summary.progress.deadLettered == 0)
        #expect(summary.progress.published == 4 && summary.progress.skipped == 0)
        #expect(summary.progress.cached == 0, "fresh texts cannot come from the cache")
        #expect(again.progress.done == 31 && again.progress.cached == 31, "the same texts again are all cache hits")
        #expect(documents == 31, "exactly one row per valid input")
        #expect(numeric?.0 == "numeric id \(run)")
        let metadata = try JSONSerialization.jsonObject(with: Data((numeric?.1 ?? "{}").utf8)) as? [String: String]
        #expect(metadata == ["lang": "en", "rank": "2", "new": "true"])
        #expect(progress?.state == "completed")
        #expect(progress?.doneItems == 31 && progress?.cachedItems == 0 && progress?.invalidItems == bad.count)
        #expect(progress?.totalItems == 31 && progress?.pendingItems == 0 && progress?.chunks == 4)
    }

    @Test("CSV: quoted commas, quotes and line breaks; wrong field counts and an unclosed quote rejected by line")
    func csv() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        let lines = [
            "id,text,user_id,metadata",
            "a1,plain text \(run),alice,",
            #"a2,"commas, ""quotes"" and"#,
            #"a line break \#(run)",bob,"{""lang"": ""en""}""#,
            "a3,too,many,fields,here",
            "a4,,carol,",
            "a5,fine again \(run),,",
            #"a6,"never closed \#(run),dave,"#,
        ]
        let file = try temporaryFile(lines, extension: "csv")
        defer { try? FileManager.default.removeItem(at: file) }
        let (summary, stored) = try await fixture.withClient { client in
            let summary = try await fixture.backfill(id: "csv", client: client).run(source: CSVSource(url: file))
            var stored: [String: (String, String)] = [:]
            let rows = try await client.query(
                "SELECT external_id, text, metadata::text FROM documents WHERE tenant_id = 't1'", logger: fixture.logger)
            for try await (id, text, metadata) in rows.decode((String, String, String).self) { stored[id] = (text, metadata) }
            return (summary, stored)
        }
        await fixture.stop()

        #expect(summary.rejections == [
            BackfillRejection(line: 5, error: "expected 4 fields, found 5"),
            BackfillRejection(line: 6, error: "text is empty"),
            BackfillRejection(line: 8, error: "a quoted field is not closed before the end of the file"),
        ])
        #expect(summary.progress.done == 3)
        #expect(stored.keys.sorted() == ["a1", "a2", "a5"])
        #expect(stored["a2"]?.0 == "commas, \"quotes\" and\na line break \(run)")
        let metadata = try JSONSerialization.jsonObject(with: Data((stored["a2"]?.1 ?? "{}").utf8)) as? [String: String]
        #expect(metadata == ["lang": "en", "user_id": "bob"])
    }

    @Test("cancelled mid-way, then re-run with the same id: finished chunks are skipped and every input ends in exactly one row")
    func resume() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        let file = try temporaryFile(validLines(60, run: run), extension: "jsonl")
        defer { try? FileManager.default.removeItem(at: file) }

        let (interrupted, resumed, documents, chunkJobs) = try await fixture.withClient { client in
            // Like Ctrl-C: the run's task is cancelled once 4 of its 12 chunks are published.
            let first = Task {
                try await fixture.backfill(id: "resumable", chunkSize: 5, client: client).run(
                    source: JSONLinesSource(url: file),
                    onProgress: { progress in if progress.published == 4 { withUnsafeCurrentTask { $0?.cancel() } } })
            }
            let interrupted = await first.result
            let resumed = try await fixture.backfill(id: "resumable", chunkSize: 5, client: client).run(source: JSONLinesSource(url: file))
            let documents = try await fixture.count("SELECT count(*)::int FROM documents WHERE tenant_id = 't1'")
            let chunkJobs = try await fixture.count("SELECT count(*)::int FROM jobs WHERE id LIKE 'backfill-%' AND status = 'succeeded'")
            return (interrupted, resumed, documents, chunkJobs)
        }
        await fixture.stop()

        #expect(throws: CancellationError.self) { try interrupted.get() }
        #expect(resumed.progress.skipped == 4, "the chunks the first run published are not published again")
        #expect(resumed.progress.published == 8)
        #expect(resumed.progress.done == 60)
        #expect(documents == 60)
        #expect(chunkJobs == 12)
    }

    @Test("the broker unreachable for a while: the backfill waits for it and finishes instead of ending")
    func ridesABrokerOutage() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let file = try temporaryFile(validLines(20, run: UUID().uuidString.prefix(8)), extension: "jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        // The runner reads the queue depth through a relay that is not up yet, as if the
        // broker were restarting.
        let port = try unusedPort()
        var relayed = TestBroker.configuration
        relayed.nodes = [.init(host: "127.0.0.1", port: port)]
        relayed.connectTimeout = .milliseconds(200)
        let admin = BrokerAdmin(configuration: relayed)

        let summary = try await fixture.withClient { client in
            let run = Task {
                try await BackfillRunner(
                    configuration: .init(
                        tenantID: "t1", backfillID: "outage", chunkSize: 5, maxInFlight: 2, maxQueueDepth: 100,
                        pollInterval: .milliseconds(50), outageLimit: .seconds(60)),
                    repository: BackfillRepository(client: client), publisher: fixture.parts.publisher, admin: admin,
                    topology: fixture.topology, logger: fixture.logger
                ).run(source: JSONLinesSource(url: file))
            }
            try await Task.sleep(for: .seconds(1))
            let broker = TestBroker.configuration
            let relay = try Socat(listen: "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", target: "TCP:\(broker.nodes[0])")
            defer { relay.stop() }
            return try await run.value
        }
        let documents = try await fixture.count("SELECT count(*)::int FROM documents WHERE tenant_id = 't1'")
        await fixture.stop()

        #expect(summary.progress.done == 20)
        #expect(documents == 20)
    }

    @Test("a re-run under the same id with another source or chunk size is refused")
    func otherSourceRefused() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        let file = try temporaryFile(validLines(4, run: run), extension: "jsonl")
        let other = try temporaryFile(validLines(5, run: run), extension: "jsonl")
        defer { for url in [file, other] { try? FileManager.default.removeItem(at: url) } }
        let (otherFile, otherChunking) = try await fixture.withClient { client in
            _ = try await fixture.backfill(id: "taken", client: client).run(source: JSONLinesSource(url: file))
            let otherFile = await #expect(throws: BackfillError.self) {
                try await fixture.backfill(id: "taken", client: client).run(source: JSONLinesSource(url: other))
            }
            let otherChunking = await #expect(throws: BackfillError.self) {
                try await fixture.backfill(id: "taken", chunkSize: 3, client: client).run(source: JSONLinesSource(url: file))
            }
            return (otherFile, otherChunking)
        }
        await fixture.stop()
        #expect(otherFile?.code == .conflict && otherChunking?.code == .conflict)
        #expect(otherFile?.message.contains("already exists for source jsonl:") == true)
    }

    @Test("a dry run validates and counts, and publishes and writes nothing")
    func dryRun() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let file = try temporaryFile(validLines(20, run: "dry") + [#"{"id": "bad"}"#], extension: "jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let (summary, progress, documents, jobs) = try await fixture.withClient { client in
            let summary = try await fixture.backfill(id: "dry", dryRun: true, client: client).run(source: JSONLinesSource(url: file))
            let progress = try await BackfillRepository(client: client).progress(tenantID: "t1", backfillID: "dry", logger: fixture.logger)
            return (
                summary, progress, try await fixture.count("SELECT count(*)::int FROM documents"),
                try await fixture.count("SELECT count(*)::int FROM jobs"))
        }
        let depth = try await TestBroker.admin.queueDepth(fixture.topology.workQueue(.embed))
        await fixture.stop()
        #expect(summary.progress.read == 20 && summary.progress.invalid == 1 && summary.progress.chunks == 3)
        #expect(summary.rejections == [BackfillRejection(line: 21, error: "missing text")])
        #expect(summary.progress.published == 0 && summary.progress.done == 0)
        #expect(progress == nil && documents == 0 && jobs == 0 && depth.messages == 0)
    }

    @Test("SQL source: rows streamed in id order; optional user_id and metadata columns; null texts rejected by row")
    func sql() async throws {
        let fixture = try await EmbeddingWorkerFixture()
        try fixture.run()
        try await fixture.waitUntilReady()
        let run = UUID().uuidString.prefix(8)
        try await fixture.database.execute("CREATE TABLE articles (article_id int PRIMARY KEY, body text, author text, extra jsonb)")
        try await fixture.database.execute("""
            INSERT INTO articles SELECT n, CASE WHEN n = 7 THEN NULL ELSE 'Article ' || n || ' of run \(run)' END,
                'author' || (n % 2), jsonb_build_object('section', 's' || n)
            FROM generate_series(1, 25) AS n
            """)
        let (summary, stored) = try await fixture.withClient { client in
            let source = SQLSource(
                client: client, query: "SELECT article_id AS id, body AS text, author AS user_id, extra AS metadata FROM articles;",
                logger: fixture.logger)
            let summary = try await fixture.backfill(id: "sql", client: client).run(source: source)
            var stored: [String: String] = [:]
            let rows = try await client.query(
                "SELECT external_id, metadata::text FROM documents WHERE tenant_id = 't1'", logger: fixture.logger)
            for try await (id, metadata) in rows.decode((String, String).self) { stored[id] = metadata }
            return (summary, stored)
        }
        let missing = await #expect(throws: BackfillError.self) {
            try await fixture.withClient { client in
                try await fixture.backfill(id: "sql-bad", client: client).run(
                    source: SQLSource(client: client, query: "SELECT article_id, body FROM articles", logger: fixture.logger))
            }
        }
        await fixture.stop()
        // Ordered by id as text: 1, 10, 11, …, 19, 2, 20, …, 25, 3, …, so article 7 is row 23.
        #expect(summary.rejections == [BackfillRejection(line: 23, error: "text is null")])
        #expect(summary.progress.done == 24 && stored.count == 24)
        let metadata = try JSONSerialization.jsonObject(with: Data((stored["12"] ?? "{}").utf8)) as? [String: String]
        #expect(metadata == ["section": "s12", "user_id": "author0"])
        #expect(missing?.code == .invalidSource)
    }
}
