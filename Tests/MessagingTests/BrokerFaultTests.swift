import Contracts
import Foundation
import Logging
import Messaging
import Synchronization
import Testing
import TestSupport

@Suite("Recovery when the broker drops connections", .serialized)
struct BrokerFaultTests {
    let logger = Logger(label: "test.reconnect")

    @Test("publisher and consumer recover from close_all_connections; nothing is lost")
    func recoverFromDroppedConnections() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let queue = topology.workQueue(JobQueue("probe"))
        let publisher = Publisher(configuration: TestBroker.configuration, declaration: declaration, logger: logger)
        let consumer = Consumer(
            configuration: TestBroker.configuration, queue: queue, prefetch: 50, declaration: declaration, logger: logger)
        publisher.start()
        consumer.start()
        defer { Task { await publisher.close(); await consumer.close(); await TestBroker.tearDown(declaration) } }
        #expect(await TestBroker.eventually { publisher.status.isConnected && consumer.status.isConnected })

        let total = 3000
        let received = Mutex(Set<String>())
        let consuming = Task {
            for await delivery in consumer.deliveries {
                let count = received.withLock { set in
                    set.insert(delivery.properties.messageID ?? "")
                    return set.count
                }
                consumer.ack(delivery)
                if count == total { return }
            }
        }

        let publishing = Task {
            for batch in stride(from: 0, to: total, by: 100) {
                try await publisher.publish((batch..<batch + 100).map {
                    OutgoingMessage(
                        exchange: topology.jobsExchange, routingKey: "probe", body: Data("\($0)".utf8),
                        properties: MessageProperties(messageID: "m\($0)"))
                })
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        // Drop every connection twice while messages flow.
        for _ in 0..<2 {
            #expect(await TestBroker.eventually { received.withLock { $0.count } > 0 && publisher.status.isConnected })
            try await TestBroker.rabbitmqctl(["close_all_connections", "memgrid test: dropping connections"])
            try await Task.sleep(for: .milliseconds(300))
        }
        try await publishing.value   // every publish was confirmed despite the drops
        let complete = await TestBroker.eventually(timeout: .seconds(60)) { received.withLock { $0.count } == total }
        consuming.cancel()
        #expect(complete, "received \(received.withLock { $0.count }) of \(total)")
        #expect(publisher.status.connectCount >= 2)
        #expect(consumer.status.connectCount >= 2)
    }
}
