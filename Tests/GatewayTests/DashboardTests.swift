import Contracts
import FakeOpenAI
import Foundation
import Gateway
import Messaging
import NIOHTTP1
import Storage
import Testing
import TestSupport

/// The operations dashboard (docs/dashboard.md): the admin data endpoint, and the page
/// rendered by headless Chromium against gateway and workers running on the local stack.
@Suite(.serialized, .holding(.dashboard))
struct DashboardTests {
    /// 0.18 USD a call at the prices below. Memorize asks for a response format: it gets memories.
    static let fake = FakeOpenAIServer { request in
        let usage = FakeOpenAIServer.usage(prompt: 1000, completion: 200, cached: 0, spelling: .openAI)
        guard request.responseFormat != nil else { return .reply(content: "Hello", usage: usage) }
        return .reply(
            content: #"{"memories": [{"type": "profile", "text": "Lives in Lyon", "categories": ["location"], "happened_at": null, "message_indices": [0]}]}"#,
            usage: usage)
    }

    static var system: SharedFixture { .dashboard }

    /// An `admin` key; with `operating`, also the operator's scope (the cluster-wide view).
    static func adminKey(_ fixture: GatewayFixture, tenant: String, operating: Bool = false) async throws -> String {
        try await fixture.database.withClient(url: fixture.database.url) { client in
            try await APIKeyRepository(client: client).create(
                tenantID: tenant, name: "ops", scopes: operating ? ["admin", "operator"] : ["admin"], logger: fixture.logger
            ).secret
        }
    }

    static func dashboard(_ fixture: GatewayFixture, key: String) async throws -> [String: Any] {
        let reply = try await fixture.request("GET", "/v1/admin/dashboard", key: key)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return reply.json
    }

    @Test func theDataNeedsAnAdminKey() async throws {
        let fixture = try await Self.system.fixture
        let missing = try await fixture.request("GET", "/v1/admin/dashboard")
        #expect(missing.status == 401)
        #expect(missing.errorCode == "invalid_api_key")
        let ordinary = try await fixture.request("GET", "/v1/admin/dashboard", key: try await fixture.key(tenant: "dash-plain"))
        #expect(ordinary.status == 403)
        #expect(ordinary.errorCode == "insufficient_scope")
        let admin = try await fixture.request("GET", "/v1/admin/dashboard", key: try await Self.adminKey(fixture, tenant: "dash-plain"))
        #expect(admin.status == 200)
        #expect(admin.json["object"] as? String == "dashboard")

        // The page itself holds no data: anyone may load it, and it may load nothing from elsewhere.
        let page = try await fixture.request("GET", "/dashboard")
        #expect(page.status == 200)
        #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        #expect(page.headers.first(name: "content-security-policy")?.hasPrefix("default-src 'none'") == true)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("/v1/admin/dashboard"))
        for external in ["<link", " src=", "url(", "@import", "@font-face"] {
            #expect(!html.contains(external), "the page must load nothing else (\(external))")
        }
    }

    @Test func eachTenantSeesOnlyItsOwnSpend() async throws {
        let fixture = try await Self.system.fixture
        let (ours, theirs) = ("dash-spend-a", "dash-spend-b")
        let (ourKey, theirKey) = (try await Self.adminKey(fixture, tenant: ours), try await Self.adminKey(fixture, tenant: theirs))
        try await fixture.database.withClient(url: fixture.database.url) { client in
            let usage = UsageRepository(client: client)
            func call(_ tenant: String, _ cost: Double) -> UsageRepository.Call {
                UsageRepository.Call(
                    tenantID: tenant, jobID: nil, purpose: "chat", provider: "fake", model: "fake-chat", promptTokens: 1,
                    completionTokens: 1, cachedTokens: 0, costUSD: cost, latencyMilliseconds: 1, outcome: "ok", httpStatus: 200)
            }
            try await usage.record([call(ours, 0.5), call(theirs, 7)], logger: fixture.logger)
            _ = try await BudgetRepository(client: client).set(tenantID: ours, period: .month, limitUSD: 2, logger: fixture.logger)
            _ = try await BudgetRepository(client: client).set(tenantID: theirs, period: .day, limitUSD: 10, logger: fixture.logger)
        }
        let spend = try await Self.dashboard(fixture, key: ourKey)["spend"] as? [String: Any] ?? [:]
        #expect(spend["tenant"] as? String == ours)
        #expect(spend["month_to_date_usd"] as? Double == 0.5)
        let budgets = spend["budgets"] as? [[String: Any]] ?? []
        #expect(budgets.map { "\($0["period"] ?? "") \($0["spent_usd"] ?? "") \($0["limit_usd"] ?? "")" } == ["month 0.5 2"])
        let other = try await Self.dashboard(fixture, key: theirKey)["spend"] as? [String: Any] ?? [:]
        #expect(other["month_to_date_usd"] as? Double == 7)
        #expect((other["budgets"] as? [[String: Any]])?.map { $0["period"] as? String } == ["day"])
    }

    /// Queue depths, workers and cluster-wide rates tell one tenant of the others'
    /// traffic: a tenant's admin key gets them empty, the operator's key gets them.
    @Test func theClusterViewIsTheOperatorsOnly() async throws {
        let fixture = try await Self.system.fixture
        let tenantView = try await Self.dashboard(fixture, key: try await Self.adminKey(fixture, tenant: "dash-tenant-only"))
        #expect((tenantView["queues"] as? [Any])?.isEmpty == true && (tenantView["workers"] as? [Any])?.isEmpty == true)
        #expect((tenantView["times"] as? [Any])?.isEmpty == true)
        #expect((tenantView["spend"] as? [String: Any])?["tenant"] as? String == "dash-tenant-only")
        let operatorKey = try await Self.adminKey(fixture, tenant: "dash-operator", operating: true)
        #expect(await TestBroker.eventually(timeout: .seconds(10)) {
            ((try? await Self.dashboard(fixture, key: operatorKey))?["workers"] as? [Any])?.isEmpty == false
        })
    }

    @Test func everyProcessReportsItsHeartbeat() async throws {
        let fixture = try await Self.system.fixture
        let key = try await Self.adminKey(fixture, tenant: "dash-workers", operating: true)
        var workers: [[String: Any]] = []
        let reported = try await TestBroker.eventually(timeout: .seconds(10)) {
            workers = try await Self.dashboard(fixture, key: key)["workers"] as? [[String: Any]] ?? []
            return workers.count == 4 && workers.allSatisfy { $0["ready"] as? Bool == true }
        }
        #expect(reported, "\(workers)")
        #expect(Set(workers.compactMap { $0["role"] as? String }) == ["gateway", "embed-worker", "llm-worker", "proactive-worker"])
        let embed = workers.first { $0["role"] as? String == "embed-worker" } ?? [:]
        #expect(embed["queue"] as? String == "embed")
        #expect((embed["checks"] as? [String: Bool])?["model_warm"] == true)
        #expect((embed["instance"] as? String)?.hasSuffix(":\(ProcessInfo.processInfo.processIdentifier)") == true)
    }

    /// Work of every kind, so each chart has something to draw: embeddings (the same texts
    /// twice: cache hits), memorize jobs, chat calls against a budget, and a dead letter.
    static func makeActivity(_ fixture: GatewayFixture, key: String, tenant: String) async throws {
        try await fixture.database.withClient(url: fixture.database.url) { client in
            _ = try await BudgetRepository(client: client).set(tenantID: tenant, period: .month, limitUSD: 5, logger: fixture.logger)
        }
        let texts = ["the dashboard draws queues", "and caches", "and workers"]
        for _ in 0..<2 {
            let reply = try await fixture.request("POST", "/v1/embeddings", key: key, json: ["input": texts, "model": "all-MiniLM-L6-v2"])
            #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        }
        for index in 0..<3 {
            let reply = try await fixture.request(
                "POST", "/v1/memorize", key: key,
                json: ["user_id": "u\(index)", "messages": [["role": "user", "content": "I live in Lyon and I like tea number \(index)"]]])
            #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        }
        for _ in 0..<2 {
            let reply = try await fixture.request(
                "POST", "/v1/chat/completions", key: key, json: ["model": "fake-chat", "messages": [["role": "user", "content": "hi"]]])
            #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        }
        // An empty text fails validation: the embedding worker dead-letters the job at once.
        let poison = JobEnvelope(
            id: "dash-poison-\(UUID().uuidString)", tenantID: tenant,
            payload: EmbedJob(items: [.init(target: .init(kind: .memoryItem, id: "poison"), text: "")]))
        try await fixture.gateway.publisher.publish(try .job(poison, topology: Topology(prefix: fixture.prefix)))
    }

    @Test func headlessChromiumDrawsEveryChartWithData() async throws {
        let chromium = try #require(
            Chromium.executable(),
            "chromium is not installed: `scripts/stack.sh install` (which `make test` runs) installs the Debian package")
        let fixture = try await Self.system.fixture
        let tenant = "dash-chromium"
        let key = try await Self.adminKey(fixture, tenant: tenant, operating: true)
        try await Self.makeActivity(fixture, key: key, tenant: tenant)

        // Wait until the sampled data shows all of it, so the page has it on first load.
        var data: [String: Any] = [:]
        let sampled = try await TestBroker.eventually(timeout: .seconds(60)) {
            data = try await Self.dashboard(fixture, key: key)
            let series = data["series"] as? [String: [Any]] ?? [:]
            let queues = data["queues"] as? [[String: Any]] ?? []
            func peak(_ name: String) -> Double { (series[name] ?? []).compactMap { $0 as? Double }.max() ?? 0 }
            // Every line needs two samples (rates need two beats; the first broker sample may
            // come before the workers declared their queues).
            let lines = Array(series.values) + queues.flatMap { ($0["series"] as? [String: [Any]] ?? [:]).values }
            let drawable = lines.allSatisfy { $0.compactMap { $0 as? Double }.count >= 2 }
            return drawable && peak("embeddings_per_second") > 0 && peak("llm_calls_per_second") > 0 && peak("cache_hit_ratio") > 0
                && queues.contains { $0["queue"] as? String == "embed" && ($0["dead_lettered"] as? Int ?? 0) >= 1 }
        }
        #expect(sampled, "\(data)")

        let url = "http://127.0.0.1:\(fixture.port)/dashboard#key=\(key)"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let screenshot = directory.appendingPathComponent("dashboard.png")
        try await Chromium.run(chromium, ["--screenshot=\(screenshot.path)", url], profile: directory.appendingPathComponent("profile-1"))
        let dom = try await Chromium.run(chromium, ["--dump-dom", url], profile: directory.appendingPathComponent("profile-2"))

        // The screenshot: a PNG of the window's size with more than a blank page in it.
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000, "a blank 1400×1400 page compresses to a few KB; got \(png.count) bytes")
        let dimensions = png.count >= 24 ? (png[16..<20].reduce(0) { $0 << 8 | Int($1) }, png[20..<24].reduce(0) { $0 << 8 | Int($1) }) : (0, 0)
        #expect(dimensions == (Chromium.width, Chromium.height))

        // Each line chart drew polylines with points; those the activity fed peak above zero.
        for (chart, mustPeak) in [
            ("queue-depth", false), ("queue-rates", true), ("dead-letters", true), ("cache-hit-ratio", true),
            ("embeddings", true), ("llm-calls", true),
        ] {
            let figure = try #require(Chromium.figure(chart, in: dom), "no \(chart) chart in the page")
            let points = Chromium.attribute("data-points", in: figure).flatMap(Int.init) ?? 0
            #expect(points >= 2, "\(chart): \(points) points")
            #expect(figure.contains("<polyline points=\""), "\(chart): no line drawn")
            if mustPeak { #expect((Chromium.attribute("data-max", in: figure).flatMap(Double.init) ?? 0) > 0, "\(chart) drew only zeros") }
        }
        let spend = try #require(Chromium.figure("spend", in: dom))
        #expect(spend.contains(tenant))
        let spentWidth = spend.firstMatch(of: /class="bar spent"[^>]*width="([0-9.]+)"/).flatMap { Double($0.1) } ?? 0
        #expect(spentWidth > 0, "the spend bar is empty")

        for role in ["gateway", "embed-worker", "llm-worker", "proactive-worker"] {
            #expect(dom.contains("data-role=\"\(role)\" data-ready=\"true\""), "no ready \(role) in the workers table")
        }
        let deadLetters = dom.firstMatch(of: /id="tile-dead-letters">([0-9,]+)</).flatMap { Int($0.1.filter(\.isNumber)) } ?? 0
        #expect(deadLetters >= 1)
    }
}

/// Headless Chromium, the Debian `chromium` package.
enum Chromium {
    static let width = 1400
    static let height = 1400

    static func executable() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs Chromium on one URL and returns its standard output. `--virtual-time-budget`
    /// lets the page fetch and redraw a few times before the capture.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], profile: URL) async throws -> String {
        let output = profile.deletingLastPathComponent().appendingPathComponent(profile.lastPathComponent + ".out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage",
            "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "--virtual-time-budget=6000",
        ] + arguments
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let exited = await TestBroker.eventually(timeout: .seconds(90)) { !process.isRunning }
        if !exited { process.terminate() }
        try handle.close()
        #expect(exited && process.terminationStatus == 0, "chromium \(arguments.first ?? "") exited with \(process.terminationStatus)")
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    /// The markup of `<figure data-chart="name">…</figure>`.
    static func figure(_ name: String, in dom: String) -> Substring? {
        guard let start = dom.range(of: "data-chart=\"\(name)\""), let end = dom[start.upperBound...].range(of: "</figure>") else {
            return nil
        }
        return dom[start.lowerBound..<end.upperBound]
    }

    static func attribute(_ name: String, in markup: Substring) -> String? {
        guard let start = markup.range(of: "\(name)=\"") else { return nil }
        return String(markup[start.upperBound...].prefix { $0 != "\"" })
    }
}

extension SharedFixture {
    /// Samples and heartbeats every 250 ms, so a test sees series grow in seconds.
    static let dashboard: SharedFixture = SharedFixture {
        try await GatewayFixture.withFakeLLM(DashboardTests.fake, providers: { port in
            """
            {"providers": [{"name": "fake", "base_url": "http://127.0.0.1:\(port)/v1",
              "models": [{"name": "fake-chat", "input_per_million": 100, "output_per_million": 400, "max_output_tokens": 500}]}]}
            """
        }, overrides: ["MEMGRID_DASHBOARD_SAMPLE_MS": "250", "MEMGRID_HEARTBEAT_INTERVAL_MS": "250"])
    }
}
