public import Contracts
public import EmbeddingWorker
public import Embeddings
public import Foundation
public import Gateway
public import LLMWorker
public import Logging
public import Messaging
public import Prometheus
public import ProactiveWorker
public import ServiceLifecycle
import Synchronization
import TestSupport
public import WorkerRuntime

/// memgrid's processes in this one, as tests and benchmarks start them: the chosen parts
/// on the local stack's real servers, with a database and a topology prefix of their own;
/// then wait until they are ready, and stop them.
public final class SystemHarness: Sendable {
    /// What every part reads: this process's environment, the harness's defaults, then
    /// the caller's overrides.
    public let environment: [String: String]
    /// The queues and exchanges the parts declare.
    public let declaration: TopologyDeclaration
    public var topology: Topology { declaration.topology }
    public let logger: Logger
    private let running = Mutex<[Running]>([])

    private struct Running: Sendable {
        let name: String
        let group: ServiceGroup
        let readiness: Readiness
        let task: Task<Void, any Error>
    }

    /// - Parameters:
    ///   - databaseURL: a migrated database of the caller's (a scratch one); nil keeps
    ///     `MEMGRID_POSTGRES_URL` (benchmarks use scratch tenants there).
    ///   - prefix: the topology prefix; every run gets its own queues and exchanges.
    public init(databaseURL: String?, prefix: String, overrides: [String: String] = [:], logger: Logger) throws {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL { environment["MEMGRID_POSTGRES_URL"] = databaseURL }
        environment["MEMGRID_TOPOLOGY_PREFIX"] = prefix
        // Port 0: the kernel picks free ports at bind time, read back once listening.
        environment["MEMGRID_OPS_PORT"] = "0"
        environment["MEMGRID_OPS_HOST"] = "127.0.0.1"
        environment["MEMGRID_GATEWAY_PORT"] = "0"
        environment["MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE"] = "0"
        environment.merge(overrides) { $1 }
        self.environment = environment
        self.logger = logger
        declaration = try ProcessConfiguration(environment: EnvironmentReader(environment), defaultOperationsPort: 0).declaration
    }

    public var reader: EnvironmentReader { EnvironmentReader(environment) }

    /// The configuration a worker of `queue` reads from this environment.
    public func configuration(_ queue: JobQueue) throws -> WorkerProcessConfiguration {
        try WorkerProcessConfiguration(queue: queue, environment: reader, defaultOperationsPort: 0)
    }

    @discardableResult
    public func gateway(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) throws -> GatewayApp.Parts {
        let parts = try GatewayApp.build(configuration: try GatewayApp.Configuration(environment: reader), registry: registry, logger: logger)
        run("gateway", parts.group, parts.readiness)
        return parts
    }

    /// - Parameter next: a second model, as during a model change.
    @discardableResult
    public func embeddingWorker(
        embedder: any Embedder, next: (any Embedder)? = nil, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) throws -> WorkerProcess.Parts {
        let parts = try EmbeddingWorkerApp.build(
            configuration: try configuration(.embed), embedding: try EmbeddingWorkerApp.Configuration(environment: reader),
            embedder: embedder, next: next, registry: registry, logger: logger)
        run("embedding worker", parts.group, parts.readiness)
        return parts
    }

    @discardableResult
    public func llmWorker(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), observer: (any LLMWorkerApp.Observer)? = nil
    ) throws -> WorkerProcess.Parts {
        let parts = try LLMWorkerApp.build(
            configuration: try configuration(.llm), llm: try LLMWorkerApp.Configuration(environment: reader), registry: registry,
            logger: logger, observer: observer)
        run("LLM worker", parts.group, parts.readiness)
        return parts
    }

    /// - Parameter instance: the replica's name (replicas share the work).
    @discardableResult
    public func proactiveWorker(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), clock: any WallClock = SystemClock(),
        instance: String = ProactiveWorkerApp.instanceName()
    ) throws -> WorkerProcess.Parts {
        let parts = try ProactiveWorkerApp.build(
            configuration: try configuration(.proactive), proactive: try ProactiveWorkerApp.Configuration(environment: reader),
            registry: registry, logger: logger, clock: clock, instance: instance)
        run("proactive worker \(instance)", parts.group, parts.readiness)
        return parts
    }

    /// Waits until every part started is ready; throws naming the checks that never were.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let parts = running.withLock { $0 }
        let ready = await TestBroker.eventually(timeout: timeout) {
            for part in parts where !(await part.readiness.evaluate().allSatisfy(\.ready)) { return false }
            return true
        }
        guard !ready else { return }
        var failing: [String] = []
        for part in parts {
            failing += await part.readiness.evaluate().filter { !$0.ready }.map { "\(part.name): \($0.name)" }
        }
        throw TestFailure("the system never became ready; failing checks: \(failing)")
    }

    /// Stops the parts whose service groups are `groups` (replicas), finishing their work in hand.
    public func stop(_ groups: [ServiceGroup]) async {
        let parts = running.withLock { running in
            defer { running.removeAll { part in groups.contains { $0 === part.group } } }
            return running.filter { part in groups.contains { $0 === part.group } }
        }
        await Self.stop(parts)
    }

    /// Stops every part still running, finishing the work in hand, and waits for them.
    public func stop() async {
        await Self.stop(running.withLock { running in
            defer { running = [] }
            return running
        })
    }

    /// The gateway's public and operations ports once it listens. If it never does, stops
    /// everything and throws with how the gateway ended (its configuration, a port).
    public func ports(of gateway: GatewayApp.Parts, timeout: Duration = .seconds(30)) async throws -> (public: Int, operations: Int) {
        let listening = await TestBroker.eventually(timeout: timeout) {
            gateway.port.value != nil && gateway.operationsPort.value != nil
        }
        if listening, let port = gateway.port.value, let operations = gateway.operationsPort.value { return (port, operations) }
        let task = running.withLock { $0.first { $0.group === gateway.group }?.task }
        await stop()
        throw TestFailure("the gateway never listened: \(String(describing: await task?.result))")
    }

    private func run(_ name: String, _ group: ServiceGroup, _ readiness: Readiness) {
        running.withLock { $0.append(Running(name: name, group: group, readiness: readiness, task: Task { try await group.run() })) }
    }

    private static func stop(_ parts: [Running]) async {
        for part in parts { await part.group.triggerGracefulShutdown() }
        for part in parts { _ = try? await part.task.value }
    }
}
