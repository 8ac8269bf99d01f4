import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import Prometheus
import Synchronization
import TestSupport
@testable import WorkerRuntime

struct Probe: Codable, Sendable, Equatable {
    var n: Int
}

/// A handler whose behaviour each test scripts; records every call.
final class ScriptedHandler: JobHandler {
    let type = JobType(kind: "probe", version: 1, queue: JobQueue("probe"))
    private let behaviour: @Sendable (JobEnvelope<Probe>, JobContext) async throws -> Void
    let calls = Mutex<[(id: String, attempt: Int)]>([])

    init(_ behaviour: @escaping @Sendable (JobEnvelope<Probe>, JobContext) async throws -> Void = { _, _ in }) {
        self.behaviour = behaviour
    }

    func handle(_ job: JobEnvelope<Probe>, context: JobContext) async throws {
        calls.withLock { $0.append((job.id, context.attempt)) }
        try await behaviour(job, context)
    }

    var callCount: Int { calls.withLock { $0.count } }
}

/// A `JobWorker` on a fresh test topology, with its publisher, a Prometheus registry,
/// and helpers to publish jobs and read the dead-letter queue.
final class WorkerHarness: Sendable {
    let declaration = TestBroker.makeTopology()
    let publisher: Publisher
    let consumer: Consumer
    let worker: JobWorker
    let registry = PrometheusCollectorRegistry()
    private let running = Mutex<Task<Void, any Error>?>(nil)

    var topology: Topology { declaration.topology }
    var queue: JobQueue { JobQueue("probe") }

    init(handler: ScriptedHandler, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)), concurrency: Int = 4) async throws {
        let logger = Logger(label: "test.worker")
        try await TestBroker.admin.declare(declaration)
        publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        consumer = Consumer(
            configuration: TestBroker.configuration, queue: declaration.topology.workQueue(JobQueue("probe")),
            prefetch: concurrency, logger: logger)
        var router = JobRouter()
        router.register(handler)
        worker = JobWorker(
            configuration: .init(queue: JobQueue("probe"), topology: declaration.topology, concurrency: concurrency, retry: retry, drainTimeout: .seconds(5)),
            consumer: consumer, publisher: publisher, router: router,
            metrics: WorkerMetrics(queue: "probe", factory: PrometheusMetricsFactory(registry: registry)), logger: logger)
        publisher.start()
    }

    func start() {
        let worker = self.worker
        running.withLock { $0 = Task { try await worker.run() } }
    }

    /// Stops the worker (cancelling its run task drains like a graceful shutdown),
    /// then deletes the test topology.
    func stop() async {
        await stopWorker()
        await TestBroker.tearDown(declaration)
    }

    func stopWorker() async {
        let task = running.withLock { $0 }
        task?.cancel()
        _ = try? await task?.value
        await publisher.close()
    }

    func publishJob(id: String, n: Int = 0, type: String = "probe.v1") async throws {
        let body = try WireJSON.encoder().encode(JobEnvelope(
            id: id, type: JobType(kind: "probe", version: 1, queue: queue), tenantID: "t1", payload: Probe(n: n)))
        try await publishRaw(body, id: id, type: type)
    }

    func publishRaw(
        _ body: Data, id: String, type: String?, routingKey: String = "probe", headers: [String: HeaderValue] = [:]
    ) async throws {
        var properties = MessageProperties(messageID: id, type: type)
        properties.headers = headers
        try await publisher.publish(OutgoingMessage(
            exchange: topology.jobsExchange, routingKey: routingKey, body: body, properties: properties))
    }

    /// Waits until `count` messages sit in the dead-letter queue, then takes them.
    func deadLetters(count: Int) async throws -> [Delivery] {
        let queue = topology.deadLetterQueue(self.queue)
        _ = try await TestBroker.eventually { try await TestBroker.admin.queueDepth(queue).messages >= count }
        return try await TestBroker.admin.drain(queue, limit: count + 10)
    }

    func depth(_ queue: String) async throws -> Int {
        try await TestBroker.admin.queueDepth(queue).messages
    }

    func metricsText() -> String {
        registry.emitToString()
    }
}
