import ArgumentParser
import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import Synchronization
import WorkerRuntime

/// `make bench-queue`: tiny jobs published with confirms and processed by `JobWorker`
/// (decode, handler, ack), against a raw librabbitmq publish→consume→ack loop on the
/// same queue type, in one invocation.
struct BenchQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Queue throughput: WorkerRuntime end-to-end vs. a raw librabbitmq loop.")

    @Option(help: "Jobs per run.")
    var count = 200_000

    @Option(help: "Work queue type: quorum or classic.")
    var queueType = "quorum"

    @Option(help: "Worker concurrency (= prefetch) for both runs.")
    var prefetch = 500

    @Option(help: "Messages per publish batch in the end-to-end run.")
    var batch = 1000

    @Flag(help: "Skip the traced pass (for profiling the untraced path).")
    var skipTraced = false

    func run() async throws {
        let environment = EnvironmentReader()
        let process = try ProcessConfiguration(environment: environment, defaultOperationsPort: 0)
        guard let type = TopologyDeclaration.QueueType(rawValue: queueType) else {
            throw ValidationError("--queue-type must be quorum or classic")
        }
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        let queue = JobQueue("bench")
        let jobType = JobType(kind: "noop", version: 1, queue: queue)
        let topology = Topology(
            prefix: "bench-\(UUID().uuidString.prefix(8).lowercased())", queues: [queue],
            routes: [queue: [jobType.kind]], retryLevels: 1)
        let declaration = TopologyDeclaration(topology: topology, workQueueType: type)
        let admin = BrokerAdmin(configuration: process.broker)
        try await admin.declare(declaration)
        defer { Task { [admin] in try? await Self.cleanUp(admin, topology) } }

        let bodies = try (0..<count).map { index in
            try WireJSON.encoder().encode(JobEnvelope(
                id: "bench-\(index)", type: jobType, tenantID: "bench", createdAt: Date(), payload: ["n": index]))
        }
        let workQueue = topology.workQueue(queue)
        print("bench-queue: \(count) jobs, \(type.rawValue) queue, prefetch \(prefetch), body \(bodies[0].count) bytes")

        let raw = try await RawBrokerLoop.run(configuration: process.broker, queue: workQueue, bodies: bodies, prefetch: prefetch)
        let rawRate = Double(count) / raw.seconds
        print("raw librabbitmq loop: \(count) messages in \(format(raw.seconds)) s = \(Int(rawRate)) msg/s")

        // What JobWorker does on the wire per job: consume, publish job.completed with a
        // confirm, then ack. A real event of a real size, the same for every message.
        let completed = EventEnvelope(
            id: "bench-0:\(EventCatalog.jobCompleted.name)", tenantID: "bench", correlationID: "bench-0",
            payload: JobCompleted(jobID: "bench-0", jobType: jobType.description, attempts: 1, summary: nil))
        let announcing = try await RawBrokerLoop.run(
            configuration: process.broker, queue: workQueue, bodies: bodies, prefetch: prefetch,
            event: try .event(completed, topology: topology))
        let announcingRate = Double(count) / announcing.seconds
        print("raw librabbitmq loop with job.completed: \(count) messages in \(format(announcing.seconds)) s = \(Int(announcingRate)) msg/s")

        let endToEnd = try await runWorker(
            process: process, declaration: declaration, queue: queue, jobType: jobType, bodies: bodies, logger: logger)
        let rate = Double(count) / endToEnd.seconds
        print("WorkerRuntime end-to-end: \(count) jobs in \(format(endToEnd.seconds)) s = \(Int(rate)) jobs/s")

        if !skipTraced { try await runTraced(process: process, declaration: declaration, queue: queue, jobType: jobType, bodies: bodies, untracedRate: rate, logger: logger) }
        try await Self.cleanUp(admin, topology)
        print("bench-queue: \(Int(rate)) jobs/s end-to-end, raw broker \(Int(announcingRate)) msg/s, ratio \(format(rate / announcingRate))"
            + " (raw consume and ack only: \(Int(rawRate)) msg/s, ratio \(format(rate / rawRate)))")
    }

    /// The same jobs, each published with a trace of its own, to a worker exporting its
    /// spans (process and handle per job, every job sampled) to a stand-in collector.
    private func runTraced(
        process: ProcessConfiguration, declaration: TopologyDeclaration, queue: JobQueue, jobType: JobType,
        bodies: [Data], untracedRate rate: Double, logger: Logger
    ) async throws {
        let sink = OTLPSink()
        let tracing = try await sink.start(serviceName: "memgrid-bench", logger: logger)
        let traced = try await tracing.withExporting(logger: logger) {
            try await runWorker(
                process: process, declaration: declaration, queue: queue, jobType: jobType, bodies: bodies, traced: true, logger: logger)
        }
        sink.stop()
        let tracedRate = Double(count) / traced.seconds
        let exported = sink.totals
        print("WorkerRuntime traced, OTLP export: \(count) jobs in \(format(traced.seconds)) s = \(Int(tracedRate)) jobs/s, "
            + "\(format(tracedRate / rate)) of untraced (\(exported.requests) export requests, \(exported.bytes / 1024) KiB)")
    }

    private func runWorker(
        process: ProcessConfiguration, declaration: TopologyDeclaration, queue: JobQueue, jobType: JobType,
        bodies: [Data], traced: Bool = false, logger: Logger
    ) async throws -> Duration {
        let handled = CountdownHandler(type: jobType, target: bodies.count)
        var router = JobRouter()
        router.register(handled)
        let publisher = Publisher(configuration: process.broker, logger: logger)
        let consumer = Consumer(
            configuration: process.broker, queue: declaration.topology.workQueue(queue), prefetch: prefetch, logger: logger)
        let worker = JobWorker(
            configuration: .init(queue: queue, topology: declaration.topology, concurrency: prefetch),
            consumer: consumer, publisher: publisher, router: router,
            metrics: WorkerMetrics(queue: queue.rawValue, factory: NOOPMetricsHandler.instance), logger: logger)
        publisher.start()
        let messages = bodies.enumerated().map { index, body in
            var headers: [String: HeaderValue] = [:]
            if traced { headers[WireHeader.traceparent] = .string(TraceContext.start().traceparent) }
            return OutgoingMessage(
                exchange: declaration.topology.jobsExchange, routingKey: jobType.kind, body: body,
                properties: MessageProperties(messageID: "bench-\(index)", timestamp: Date(), type: jobType.description, headers: headers))
        }
        let start = ContinuousClock.now
        let elapsed = try await withThrowingTaskGroup(of: Duration?.self) { group in
            group.addTask {
                try await worker.run()
                return nil
            }
            group.addTask {
                // A few batches in flight keep the confirm pipeline full.
                try await withThrowingDiscardingTaskGroup { publishers in
                    let lanes = 4
                    for lane in 0..<lanes {
                        publishers.addTask {
                            var index = lane * batch
                            while index < messages.count {
                                try await publisher.publish(Array(messages[index..<min(index + batch, messages.count)]))
                                index += lanes * batch
                            }
                        }
                    }
                }
                await handled.done()
                await consumer.close()  // flushes the last acks
                return ContinuousClock.now - start
            }
            var result: Duration = .zero
            for try await value in group {
                if let value { result = value }
            }
            return result
        }
        await publisher.close()
        return elapsed
    }

    private static func cleanUp(_ admin: BrokerAdmin, _ topology: Topology) async throws {
        var queues: [String] = []
        for queue in topology.queues {
            queues += [topology.workQueue(queue), topology.deadLetterQueue(queue)]
            queues += (1...topology.retryLevels).map { topology.retryQueue(queue, level: $0) }
        }
        try await admin.deleteQueues(queues)
        try await admin.deleteExchanges([topology.jobsExchange, topology.eventsExchange, topology.deadLetterExchange])
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// Counts handled jobs and signals when the target is reached.
final class CountdownHandler: JobHandler {
    let type: JobType
    private let target: Int
    private let state = Mutex<(count: Int, waiter: CheckedContinuation<Void, Never>?)>((0, nil))

    init(type: JobType, target: Int) {
        self.type = type
        self.target = target
    }

    func handle(_ job: JobEnvelope<[String: Int]>, context: JobContext) async throws {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.count += 1
            guard state.count == target else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func done() async {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state in
                if state.count >= target { return true }
                state.waiter = continuation
                return false
            }
            if finished { continuation.resume() }
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
