import Contracts
import Foundation
@testable import Gateway
import Logging
import Messaging
import PostgresNIO
import Prometheus
import Storage
import Synchronization
import Testing
import TestSupport
import WorkerRuntime

/// A handler with a real, idempotent effect, like every memgrid handler: a row per job
/// id, written with `ON CONFLICT DO NOTHING`. While `broken`, it fails permanently, so
/// its jobs are dead-lettered at once.
final class EffectHandler: JobHandler {
    struct Payload: Codable, Sendable {
        var n: Int
    }

    let type = JobType(kind: "effect", version: 1, queue: JobQueue("effect"))
    let client: PostgresClient
    let broken = Atomic<Bool>(true)
    private let calls = Mutex<[String]>([])

    init(client: PostgresClient) {
        self.client = client
    }

    func handle(_ job: JobEnvelope<Payload>, context: JobContext) async throws {
        calls.withLock { $0.append(job.id) }
        if broken.load(ordering: .relaxed) { throw JobFailure.permanent("the effect store refused it") }
        try await client.query("INSERT INTO dlq_effects (job_id) VALUES (\(job.id)) ON CONFLICT DO NOTHING", logger: context.logger)
    }

    func calls(for id: String) -> Int { calls.withLock { $0.filter { $0 == id }.count } }
}

/// Jobs dead-lettered by a real `JobWorker`, recorded by the gateway's recorder, replayed
/// through `DeadLetterArchive` into the worker again, whose observer keeps the `jobs`
/// rows current.
@Suite("Dead-letter replay end to end: worker, handler, job status")
struct DeadLetterReplayTests {
    let queue = JobQueue("effect")
    let logger = Logger(label: "test.dlq-replay")

    @Test("a replayed job is handled again with the same id: one effect, even from two dead letters or a second replay")
    func replayIsIdempotent() async throws {
        let database = ScratchDatabase()
        try await database.createMigrated()
        try await database.execute("CREATE TABLE dlq_effects (job_id text PRIMARY KEY)")
        try await database.execute("INSERT INTO tenants (id, name) VALUES ('t1', 't1')")
        let topology = Topology(
            prefix: "test-\(UUID().uuidString.prefix(8).lowercased())", queues: [queue], routes: [queue: ["effect"]],
            subscriptions: [:], retryLevels: 1)
        let declaration = TopologyDeclaration(topology: topology)
        try await TestBroker.admin.declare(declaration)
        let publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        publisher.start()

        do {
            try await database.withClient(url: database.url) { client in
                try await run(client: client, topology: topology, publisher: publisher)
            }
        } catch {
            await publisher.close()
            await TestBroker.tearDown(declaration)
            await database.drop()
            throw error
        }
        await publisher.close()
        await TestBroker.tearDown(declaration)
        await database.drop()
    }

    private func run(client: PostgresClient, topology: Topology, publisher: Publisher) async throws {
        let jobs = JobRepository(client: client)
        let handler = EffectHandler(client: client)
        let archive = DeadLetterRepository(client: client)
        let deadLetters = DeadLetterArchive(repository: archive, publisher: publisher, topology: topology)
        let dlq = topology.deadLetterQueue(queue)
        let recorder = Task {
            try await DeadLetterRecorder(
                configuration: TestBroker.configuration, declaration: TopologyDeclaration(topology: topology), repository: archive,
                perTenant: 100, logger: logger
            ).run()
        }
        defer { recorder.cancel() }
        func recorded() async throws -> [String] {
            try await archive.list(.init(tenantID: "t1"), limit: 100, logger: logger).compactMap(\.messageID).sorted()
        }

        func publish(_ id: String) async throws {
            let body = try WireJSON.encoder().encode(
                JobEnvelope(id: id, type: handler.type, tenantID: "t1", payload: EffectHandler.Payload(n: 1)))
            try await publisher.publish(OutgoingMessage(
                exchange: topology.jobsExchange, routingKey: "effect", body: body,
                properties: MessageProperties(messageID: id, type: "effect.v1", headers: [WireHeader.tenant: .string("t1")])))
        }
        func submit(_ id: String) async throws {
            try await jobs.insert(id: id, tenantID: "t1", type: "effect.v1", logger: logger)
            try await publish(id)
        }
        func statuses(_ ids: String...) async throws -> [JobRepository.Status?] {
            var result: [JobRepository.Status?] = []
            for id in ids { result.append(try await status(id)) }
            return result
        }
        func status(_ id: String) async throws -> JobRepository.Status? {
            try await jobs.get(id: id, tenantID: "t1", logger: logger)?.status
        }
        func effects(_ id: String) async throws -> Int {
            for try await count in try await client.query(
                "SELECT count(*)::int FROM dlq_effects WHERE job_id = \(id)", logger: logger).decode(Int.self) {
                return count
            }
            return 0
        }

        // While broken: e-1 once, e-2 twice (a duplicate publish, as after a publisher's
        // retry): three dead letters, taken off the DLQ into PostgreSQL.
        var worker = try startWorker(handler: handler, topology: topology, publisher: publisher, jobs: jobs)
        try await submit("e-1")
        try await submit("e-2")
        try await publish("e-2")
        #expect(try await TestBroker.eventually { try await recorded() == ["e-1", "e-2", "e-2"] })
        #expect(try await TestBroker.admin.queueDepth(dlq).messages == 0)
        #expect(try await TestBroker.eventually { try await statuses("e-1", "e-2") == [.deadLettered, .deadLettered] })
        await stop(worker)

        // Replayed while no worker runs: the rows say queued again.
        let started = Date()
        let replay = try await deadLetters.replay(.init(tenantID: "t1"), limit: nil, logger: logger)
        // The worker handles e-1 and e-2 concurrently: either may be dead-lettered first.
        #expect(replay.letters.compactMap(\.messageID).sorted() == ["e-1", "e-2", "e-2"])
        #expect(replay.failures.isEmpty)
        #expect(try await jobs.markRequeued(ids: replay.letters.compactMap(\.messageID), deadLetteredBefore: started, logger: logger) == 2)
        #expect(try await status("e-1") == .queued)
        #expect(try await jobs.get(id: "e-1", tenantID: "t1", logger: logger)?.finishedAt == nil)
        #expect(try await recorded().isEmpty)

        // Fixed, the worker handles each replay; the job id is the idempotency key.
        handler.broken.store(false, ordering: .relaxed)
        worker = try startWorker(handler: handler, topology: topology, publisher: publisher, jobs: jobs)
        #expect(try await TestBroker.eventually { handler.calls(for: "e-1") == 2 && handler.calls(for: "e-2") == 4 })
        #expect(try await TestBroker.eventually { try await statuses("e-1", "e-2") == [.succeeded, .succeeded] })
        #expect(try await effects("e-1") == 1)
        #expect(try await effects("e-2") == 1, "two replays of one job, one effect")

        // A second replay finds nothing to do.
        let again = try await deadLetters.replay(.init(tenantID: "t1"), limit: nil, logger: logger)
        #expect(again.letters.isEmpty && again.failures.isEmpty)
        try await Task.sleep(for: .milliseconds(300))
        #expect(handler.calls(for: "e-1") == 2 && handler.calls(for: "e-2") == 4)
        await stop(worker)

        // A row dead-lettered after the replay began is not marked queued.
        try await jobs.insert(id: "e-3", tenantID: "t1", type: "effect.v1", logger: logger)
        let before = Date()
        try await jobs.markDeadLettered(id: "e-3", attempt: 1, error: "permanent_failure: x", logger: logger)
        #expect(try await jobs.markRequeued(ids: ["e-3"], deadLetteredBefore: before - 5, logger: logger) == 0)
        #expect(try await status("e-3") == .deadLettered)
        #expect(try await jobs.markRequeued(ids: ["e-3", "no-row"], deadLetteredBefore: Date() + 5, logger: logger) == 1)
    }

    private func startWorker(
        handler: EffectHandler, topology: Topology, publisher: Publisher, jobs: JobRepository
    ) throws -> Task<Void, any Error> {
        var router = JobRouter()
        router.register(handler)
        let consumer = Consumer(
            configuration: TestBroker.configuration, queue: topology.workQueue(queue), prefetch: 4, logger: logger)
        let worker = JobWorker(
            configuration: .init(queue: queue, topology: topology, concurrency: 4, retry: RetryPolicy(maxAttempts: 1), drainTimeout: .seconds(5)),
            consumer: consumer, publisher: publisher, router: router,
            metrics: WorkerMetrics(queue: queue.rawValue, factory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())),
            observer: JobStatusObserver(repository: jobs, logger: logger), logger: logger)
        return Task { try await worker.run() }
    }

    private func stop(_ worker: Task<Void, any Error>) async {
        worker.cancel()
        _ = try? await worker.value
    }
}
