// A worker process for crash tests: consumes `probe.v1` jobs from a test topology,
// reports each handled job to a result queue, then acks. Tests kill it with SIGKILL.
import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import WorkerRuntime

struct Probe: Codable, Sendable {
    var n: Int
}

struct ProbeHandler: JobHandler {
    let type = JobType(kind: "probe", version: 1, queue: JobQueue("probe"))
    let publisher: Publisher
    let resultQueue: String
    let delay: Duration

    func handle(_ job: JobEnvelope<Probe>, context: JobContext) async throws {
        try await Task.sleep(for: delay)
        let report = #"{"id":"\#(job.id)","redelivered":\#(context.redelivered)}"#
        try await publisher.publish(OutgoingMessage(exchange: "", routingKey: resultQueue, body: Data(report.utf8)))
    }
}

let environment = ProcessInfo.processInfo.environment
let broker = try BrokerConfiguration(url: environment["MEMGRID_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:35672/")
let queue = JobQueue("probe")
let topology = Topology(prefix: environment["TEST_PREFIX"]!, queues: [queue], routes: [queue: ["probe", "other"]], retryLevels: 3)
var logger = Logger(label: "memgrid.test-worker")
logger.logLevel = .warning
let publisher = Publisher(configuration: broker, logger: logger)
let consumer = Consumer(configuration: broker, queue: topology.workQueue(queue), prefetch: 10, logger: logger)
var router = JobRouter()
router.register(ProbeHandler(
    publisher: publisher, resultQueue: environment["TEST_RESULT_QUEUE"]!,
    delay: .milliseconds(Int(environment["TEST_DELAY_MS"] ?? "20")!)))
let worker = JobWorker(
    configuration: .init(queue: queue, topology: topology, concurrency: 10),
    consumer: consumer, publisher: publisher, router: router,
    metrics: WorkerMetrics(queue: "probe", factory: NOOPMetricsHandler.instance), logger: logger)
publisher.start()
try await worker.run()
