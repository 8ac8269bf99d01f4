import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

@Suite("A worker process killed with SIGKILL loses nothing")
struct CrashTests {
    struct Report: Decodable {
        var id: String
        var redelivered: Bool
    }

    static var workerBinary: URL {
        if let path = ProcessInfo.processInfo.environment["MEMGRID_TEST_WORKER_BIN"] {
            return URL(fileURLWithPath: path)
        }
        return TestBroker.repositoryRoot.appendingPathComponent(".build/debug/memgrid-test-worker")
    }

    func launchWorker(prefix: String, resultQueue: String) throws -> Process {
        let process = Process()
        process.executableURL = Self.workerBinary
        var environment = ProcessInfo.processInfo.environment
        environment["TEST_PREFIX"] = prefix
        environment["TEST_RESULT_QUEUE"] = resultQueue
        environment["TEST_DELAY_MS"] = "100"
        process.environment = environment
        try process.run()
        return process
    }

    @Test("unacked jobs of a killed worker are redelivered to its replacement; none lost")
    func killNine() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let resultQueue = "\(topology.prefix).results"
        let admin = TestBroker.admin
        try await admin.declare(declaration)
        try await admin.declareQueue(resultQueue)
        defer { Task { await TestBroker.tearDown(declaration, extraQueues: [resultQueue]) } }

        let publisher = Publisher(configuration: TestBroker.configuration, logger: Logger(label: "test.crash"))
        publisher.start()
        let total = 300
        let type = JobType(kind: "probe", version: 1, queue: JobQueue("probe"))
        try await publisher.publish(try (0..<total).map { n in
            OutgoingMessage(
                exchange: topology.jobsExchange, routingKey: "probe",
                body: try WireJSON.encoder().encode(JobEnvelope(id: "job-\(n)", type: type, tenantID: "t1", payload: ["n": n])),
                properties: MessageProperties(messageID: "job-\(n)", type: "probe.v1"))
        })
        await publisher.close()

        let first = try launchWorker(prefix: topology.prefix, resultQueue: resultQueue)
        #expect(try await TestBroker.eventually { try await admin.queueDepth(resultQueue).messages >= 40 })
        kill(first.processIdentifier, SIGKILL)
        _ = await first.exitStatus()
        #expect(first.terminationReason == .uncaughtSignal)

        let second = try launchWorker(prefix: topology.prefix, resultQueue: resultQueue)
        defer { second.terminate(); second.waitUntilExit() }
        var reports: [Report] = []
        let complete = try await TestBroker.eventually(timeout: .seconds(60)) {
            reports += try await admin.drain(resultQueue, limit: 1000).map { try JSONDecoder().decode(Report.self, from: $0.body) }
            return Set(reports.map(\.id)).count == total
        }
        #expect(complete, "\(Set(reports.map(\.id)).count) of \(total) jobs handled")
        #expect(Set(reports.map(\.id)) == Set((0..<total).map { "job-\($0)" }))
        // The jobs in flight at the kill came back as redeliveries.
        #expect(reports.contains { $0.redelivered })
    }
}
