import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

@Suite("Queue depths over one kept broker connection, against the real broker")
struct QueueDepthReaderTests {
    @Test("depths and consumers of several queues; a missing queue fails the read, and the next read works again")
    func readsDepthsAndRecovers() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        try await TestBroker.admin.declare(declaration)
        let publisher = Publisher(configuration: TestBroker.configuration, declaration: declaration, logger: Logger(label: "test.depths"))
        publisher.start()
        let reader = QueueDepthReader(configuration: TestBroker.configuration)
        defer { Task { await publisher.close(); await reader.close(); await TestBroker.tearDown(declaration) } }

        let (work, deadLetters) = (topology.workQueue(JobQueue("probe")), topology.deadLetterQueue(JobQueue("probe")))
        for index in 0..<3 {
            try await publisher.publish(OutgoingMessage(
                exchange: topology.jobsExchange, routingKey: "probe", body: Data("\(index)".utf8),
                properties: MessageProperties(messageID: "m\(index)", type: "probe.v1")))
        }
        let depths = try await reader.depths([work, deadLetters])
        #expect(depths[work]?.messages == 3 && depths[work]?.consumers == 0)
        #expect(depths[deadLetters]?.messages == 0)

        // A passive declare of a missing queue closes the channel of the kept connection.
        await #expect(throws: BrokerError.self) { try await reader.depths([work, "\(topology.prefix).no-such-queue"]) }
        #expect(try await reader.depths([work])[work]?.messages == 3)
        // Closed, it opens a new connection on the next read.
        await reader.close()
        #expect(try await reader.depths([work])[work]?.messages == 3)
    }
}
