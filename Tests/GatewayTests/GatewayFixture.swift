import AsyncHTTPClient
import Contracts
import Embeddings
import FakeOpenAI
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Storage
import SystemHarness
import TestSupport
import WorkerRuntime

/// A gateway on a scratch database and topology, optionally with the embedding and LLM
/// workers in-process, all on the local stack's real servers.
final class GatewayFixture: Sendable {
    /// The full system, shared by the suites that need workers (each uses its own tenants
    /// and users).
    static let shared = SharedFixture { try await GatewayFixture(workers: true) }

    let database = ScratchDatabase()
    let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
    let logger: Logger
    let port: Int
    /// The gateway's operations port: `/readyz`, `/metrics`.
    let opsPort: Int
    let gateway: GatewayApp.Parts
    /// What the LLM worker's `/metrics` would show.
    let llmMetrics = PrometheusCollectorRegistry()
    let system: SystemHarness

    /// - Parameters:
    ///   - overrides: environment for every process (e.g. a dead broker URL).
    ///   - nextModel: the embedding worker also serves a second model (a model change).
    ///   - readReplica: the gateway reads from the stack's standby (`TestReplica`), trusted
    ///     up to a minute behind.
    ///   - logger: every process's logger.
    init(
        workers withWorkers: Bool, overrides: [String: String] = [:], nextModel: Bool = false, readReplica: Bool = false,
        logger: Logger = Logger(label: "test.gateway")
    ) async throws {
        self.logger = logger
        try await database.createMigrated()
        var defaults = [
            "MEMGRID_MODEL_DIR": TestModel.directory.path, "MEMGRID_SUMMARY_DEBOUNCE_MS": "100", "MEMGRID_PROACTIVE_POLL_MS": "50",
        ]
        if readReplica {
            defaults["MEMGRID_DATABASE_READ_URL"] = TestReplica.url(database: database.name)
            defaults["MEMGRID_DATABASE_READ_MAX_LAG_MS"] = "60000"
        }
        system = try SystemHarness(
            databaseURL: database.url, prefix: prefix, overrides: defaults.merging(overrides) { $1 }, logger: logger)
        gateway = try system.gateway()
        if withWorkers {
            try system.embeddingWorker(embedder: TestModel.embedder, next: nextModel ? TestModel.nextEmbedder : nil)
            try system.llmWorker(registry: llmMetrics)
            try system.proactiveWorker()
        }
        do {
            (port, opsPort) = try await system.ports(of: gateway)
        } catch {
            await database.drop()
            throw error
        }
    }

    /// The full system, ready, with the LLM worker calling `fake` on a port of its own;
    /// `providers` writes `MEMGRID_LLM_PROVIDERS` for that port. Budgets are read fresh.
    static func withFakeLLM(
        _ fake: FakeOpenAIServer, providers: (_ port: Int) -> String, overrides: [String: String] = [:]
    ) async throws -> GatewayFixture {
        let port = try unusedPort()
        Task { try await fake.serve(port: port) }
        let environment = ["MEMGRID_LLM_PROVIDERS": providers(port), "MEMGRID_BUDGET_CACHE_MS": "0"].merging(overrides) { $1 }
        let fixture = try await GatewayFixture(workers: true, overrides: environment)
        try await fixture.waitUntilReady()
        return fixture
    }

    func waitUntilReady() async throws {
        try await system.waitUntilReady()
    }

    /// Waits until the gateway answers HTTP at all (its dependencies may be down).
    func waitUntilListening() async throws {
        let listening = await TestBroker.eventually(timeout: .seconds(30)) {
            (try? await self.request("GET", "/healthz")) != nil
        }
        if !listening { throw TestFailure("the gateway never listened") }
    }

    func stop() async {
        await system.stop()
        await database.drop()
    }

    /// Runs `body`, then stops the fixture, also when `body` throws: none of its work
    /// outlives the test.
    func stopping(after body: (GatewayFixture) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    /// A key for a new tenant.
    func key(tenant: String) async throws -> String {
        try await database.withClient(url: database.url) { client in
            try await APIKeyRepository(client: client).create(tenantID: tenant, name: "test", logger: self.logger).secret
        }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorParam: String? { (json["error"] as? [String: Any])?["param"] as? String }
        var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
    }

    /// A request to the public port, or with `operations` to the operations port.
    func request(
        _ method: String, _ path: String, key: String? = nil, json: Any? = nil, body: Data? = nil,
        contentType: String? = "application/json", headers: [String: String] = [:], operations: Bool = false
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(operations ? opsPort : port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let payload = try body ?? json.map { try JSONSerialization.data(withJSONObject: $0) }
        if let payload {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: payload))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }
}
