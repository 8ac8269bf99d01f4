import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

@Suite("Publish and consume against the real broker")
struct PublishConsumeTests {
    let logger = Logger(label: "test.messaging")

    @Test("round trip keeps body bytes, properties and headers")
    func roundTrip() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let publisher = Publisher(configuration: TestBroker.configuration, declaration: declaration, logger: logger)
        let consumer = Consumer(
            configuration: TestBroker.configuration, queue: topology.workQueue(JobQueue("probe")), prefetch: 10,
            declaration: declaration, logger: logger)
        publisher.start()
        consumer.start()
        defer { Task { await publisher.close(); await consumer.close(); await TestBroker.tearDown(declaration) } }

        let body = Data((0...255).map { UInt8($0) } + [0, 13, 10])
        let sent = MessageProperties(
            messageID: "job-1", correlationID: "corr-1", replyTo: "reply-here", timestamp: Date(timeIntervalSince1970: 1_700_000_000),
            type: "probe.v1", appID: "tests",
            headers: [WireHeader.attempt: .int(3), WireHeader.tenant: .string("tenant-a"), "x-flag": .bool(true)])
        try await publisher.publish(OutgoingMessage(exchange: topology.jobsExchange, routingKey: "probe", body: body, properties: sent))

        var iterator = consumer.deliveries.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        consumer.ack(delivery)
        #expect(delivery.body == body)
        #expect(delivery.routingKey == "probe")
        #expect(delivery.exchange == topology.jobsExchange)
        #expect(!delivery.redelivered)
        var received = delivery.properties
        #expect(received.persistent)
        #expect(received.contentType == "application/json")
        received.headers = [:]
        var expected = sent
        expected.headers = [:]
        #expect(received == expected)
        #expect(delivery.properties.headers == sent.headers)
    }

    @Test("a mandatory publish that matches no queue fails as unroutable, not silently")
    func unroutable() async throws {
        let declaration = TestBroker.makeTopology()
        let publisher = Publisher(configuration: TestBroker.configuration, declaration: declaration, logger: logger)
        publisher.start()
        defer { Task { await publisher.close(); await TestBroker.tearDown(declaration) } }

        let message = OutgoingMessage(
            exchange: declaration.topology.jobsExchange, routingKey: "no-such-kind", body: Data("{}".utf8),
            properties: MessageProperties(messageID: "lost-1"))
        let error = await #expect(throws: BrokerError.self) { try await publisher.publish(message) }
        #expect(error?.code == .unroutable)

        // The publisher is still usable afterwards.
        try await publisher.publish(OutgoingMessage(
            exchange: declaration.topology.jobsExchange, routingKey: "probe", body: Data("{}".utf8),
            properties: MessageProperties(messageID: "ok-1")))
        let depth = try await TestBroker.admin.queueDepth(declaration.topology.workQueue(JobQueue("probe")))
        #expect(depth.messages == 1)
    }

    @Test("unacked deliveries return to the queue when the consumer closes")
    func unackedReturn() async throws {
        let declaration = TestBroker.makeTopology()
        let queue = declaration.topology.workQueue(JobQueue("probe"))
        try await TestBroker.admin.declare(declaration)
        defer { Task { await TestBroker.tearDown(declaration) } }
        let publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        publisher.start()
        try await publisher.publish((0..<20).map {
            OutgoingMessage(exchange: "", routingKey: queue, body: Data("\($0)".utf8), properties: MessageProperties(messageID: "m\($0)"))
        })
        await publisher.close()

        let consumer = Consumer(configuration: TestBroker.configuration, queue: queue, prefetch: 5, logger: logger)
        consumer.start()
        var acked = 0
        for await delivery in consumer.deliveries {
            consumer.ack(delivery)
            acked += 1
            if acked == 8 { break }
        }
        await consumer.close()
        #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(queue).messages == 12 })
    }

    @Test("with the broker unreachable a publish fails at its deadline instead of hanging")
    func unreachableBroker() async throws {
        var configuration = TestBroker.configuration
        configuration.nodes = [.init(host: "127.0.0.1", port: 1)]  // nothing listens there: every connect attempt fails
        configuration.publishTimeout = .milliseconds(300)
        configuration.reconnectBackoff = .milliseconds(20) ... .milliseconds(100)
        let publisher = Publisher(configuration: configuration, logger: logger)
        publisher.start()
        let error = await #expect(throws: BrokerError.self) {
            try await publisher.publish(OutgoingMessage(exchange: "", routingKey: "nowhere", body: Data("{}".utf8)))
        }
        #expect(error?.code == .confirmTimeout)
        #expect(!publisher.status.isConnected)
        await publisher.close()
    }
}
