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
import ServiceLifecycle
import Storage
import TestSupport
import WorkerRuntime
import EmbeddingWorker
import LLMWorker
import ProactiveWorker

/// A gateway on a scratch database and topology, optionally with the embedding and LLM
/// workers in-process, all on the local stack's real servers.
final class GatewayFixture: Sendable {
    /// The full system, shared by the tests that need workers (each uses its own tenants
    /// and users).
    static let shared = Task { try await GatewayFixture(workers: true) }

    let database = ScratchDatabase()
    let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
    let logger: Logger
    let port: Int
    /// The gateway's operations port: `/readyz`, `/metrics`.
    let opsPort: Int
    let gateway: GatewayApp.Parts
    let workers: [WorkerProcess.Parts]
    /// What the LLM worker's `/metrics` would show.
    let llmMetrics = PrometheusCollectorRegistry()
    private let tasks: [Task<Void, any Error>]

    /// - Parameters:
    ///   - overrides: environment for every process (e.g. a dead broker URL).
    ///   - nextModel: the embedding worker also serves a second model (a model change).
    ///   - logger: every process's logger.
    init(
        workers withWorkers: Bool, overrides: [String: String] = [:], nextModel: Bool = false,
        logger: Logger = Logger(label: "test.gateway")
    ) async throws {
        self.logger = logger
        try await database.createMigrated()
        var environment = ProcessInfo.processInfo.environment
        environment["MEMGRID_TOPOLOGY_PREFIX"] = prefix
        environment["MEMGRID_POSTGRES_URL"] = database.url
        environment["MEMGRID_OPS_PORT"] = "0"
        environment["MEMGRID_OPS_HOST"] = "127.0.0.1"
        // Port 0: the kernel picks free ports at bind time, read back once listening.
        environment["MEMGRID_GATEWAY_PORT"] = "0"
        environment["MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE"] = "0"
        environment["MEMGRID_MODEL_DIR"] = TestModel.directory.path
        environment["MEMGRID_SUMMARY_DEBOUNCE_MS"] = "100"
        environment["MEMGRID_PROACTIVE_POLL_MS"] = "50"
        environment.merge(overrides) { $1 }
        let reader = EnvironmentReader(environment)
        gateway = try GatewayApp.build(
            configuration: try GatewayApp.Configuration(environment: reader),
            registry: PrometheusCollectorRegistry(), logger: logger)
        var workers: [WorkerProcess.Parts] = []
        if withWorkers {
            let embed = try WorkerProcessConfiguration(queue: .embed, environment: reader, defaultOperationsPort: 0)
            workers.append(try EmbeddingWorkerApp.build(
                configuration: embed, embedding: try EmbeddingWorkerApp.Configuration(environment: reader),
                embedder: TestModel.embedder, next: nextModel ? TestModel.nextEmbedder : nil, registry: PrometheusCollectorRegistry(),
                logger: logger))
            let llm = try WorkerProcessConfiguration(queue: .llm, environment: reader, defaultOperationsPort: 0)
            workers.append(try LLMWorkerApp.build(
                configuration: llm, llm: try LLMWorkerApp.Configuration(environment: reader), registry: llmMetrics,
                logger: logger))
            let proactive = try WorkerProcessConfiguration(queue: .proactive, environment: reader, defaultOperationsPort: 0)
            workers.append(try ProactiveWorkerApp.build(
                configuration: proactive, proactive: try ProactiveWorkerApp.Configuration(environment: reader),
                registry: PrometheusCollectorRegistry(), logger: logger))
        }
        self.workers = workers
        tasks = ([gateway.group] + workers.map(\.group)).map { group in Task { try await group.run() } }
        let gateway = gateway, gatewayTask = tasks[0]
        let listening = await TestBroker.eventually(timeout: .seconds(30)) {
            gateway.port.value != nil && gateway.operationsPort.value != nil
        }
        guard listening, let port = gateway.port.value, let opsPort = gateway.operationsPort.value else {
            for group in [gateway.group] + workers.map(\.group) { await group.triggerGracefulShutdown() }
            let failure = await gatewayTask.result
            await database.drop()
            throw TestFailure("the gateway never listened: \(failure)")
        }
        self.port = port
        self.opsPort = opsPort
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
        let checks = [gateway.readiness] + workers.map(\.readiness)
        let ready = await TestBroker.eventually(timeout: .seconds(60)) {
            for readiness in checks where !(await readiness.evaluate().allSatisfy(\.ready)) { return false }
            return true
        }
        if !ready {
            var failing: [String] = []
            for readiness in checks { failing += await readiness.evaluate().filter { !$0.ready }.map(\.name) }
            throw TestFailure("the system never became ready; failing checks: \(failing)")
        }
    }

    /// Waits until the gateway answers HTTP at all (its dependencies may be down).
    func waitUntilListening() async throws {
        let listening = await TestBroker.eventually(timeout: .seconds(30)) {
            (try? await self.request("GET", "/healthz")) != nil
        }
        if !listening { throw TestFailure("the gateway never listened") }
    }

    func stop() async {
        for group in [gateway.group] + workers.map(\.group) { await group.triggerGracefulShutdown() }
        for task in tasks { _ = try? await task.value }
        await database.drop()
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
