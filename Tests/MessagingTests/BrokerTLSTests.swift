import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

/// `amqps://` against the local broker behind a TLS terminator (socat, as a TLS load
/// balancer would sit in front of it), with certificates made by openssl for the test.
@Suite("Broker connections over TLS")
struct BrokerTLSTests {
    let logger = Logger(label: "test.broker-tls")

    @Test("publish and consume over amqps, trusting the test CA")
    func roundTripOverTLS() async throws {
        try await TLSTerminator.with { terminator in
            let configuration = terminator.configuration(host: "localhost", caFile: terminator.caFile)
            let declaration = TestBroker.makeTopology()
            let topology = declaration.topology
            let publisher = Publisher(configuration: configuration, declaration: declaration, logger: logger)
            let consumer = Consumer(
                configuration: configuration, queue: topology.workQueue(JobQueue("probe")), prefetch: 10,
                declaration: declaration, logger: logger)
            publisher.start()
            consumer.start()
            defer { Task { await publisher.close(); await consumer.close(); await TestBroker.tearDown(declaration) } }

            // Larger than one TLS record, so the consumer reads frames split across records.
            let body = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0) })
            for n in 0..<20 {
                try await publisher.publish(OutgoingMessage(
                    exchange: topology.jobsExchange, routingKey: "probe", body: body,
                    properties: MessageProperties(messageID: "tls-\(n)")))
            }
            var received: [String] = []
            for await delivery in consumer.deliveries {
                consumer.ack(delivery)
                #expect(delivery.body == body)
                received.append(delivery.properties.messageID ?? "")
                if received.count == 20 { break }
            }
            #expect(received == (0..<20).map { "tls-\($0)" })
        }
    }

    @Test("a broker certificate from an untrusted CA, or for another host name, is refused")
    func verificationFailuresAreClearErrors() async throws {
        try await TLSTerminator.with { terminator in
            let untrusted = terminator.configuration(host: "localhost", caFile: terminator.otherCAFile)
            let refused = await #expect(throws: BrokerError.self) { try await BrokerAdmin(configuration: untrusted).queueDepth("x") }
            #expect(refused?.code == .connectionFailed)
            #expect(refused?.message.contains("SSL peer cert verification failed") == true, "\(String(describing: refused))")

            // The certificate names localhost only (librabbitmq checks DNS names, not IP addresses).
            let wrongName = terminator.configuration(host: "127.0.0.1", caFile: terminator.caFile)
            let mismatch = await #expect(throws: BrokerError.self) { try await BrokerAdmin(configuration: wrongName).queueDepth("x") }
            #expect(mismatch?.message.contains("hostname verification failed") == true, "\(String(describing: mismatch))")

            // Unverified (MEMGRID_AMQP_TLS_VERIFY=false) it connects, name or CA aside.
            var unchecked = untrusted
            unchecked.nodes[0].host = "127.0.0.1"
            unchecked.tls?.verifyPeer = false
            let queue = "memgrid-tls-unchecked-\(UUID().uuidString.prefix(8))"
            try await BrokerAdmin(configuration: unchecked).declareQueue(queue)
            try await TestBroker.admin.deleteQueues([queue])
        }
    }
}

extension TLSTerminator {
    /// In front of the local broker.
    static func with(_ body: (TLSTerminator) async throws -> Void) async throws {
        let broker = TestBroker.configuration
        try await with(target: "\(broker.nodes[0])", body)
    }

    func configuration(host: String, caFile: String) -> BrokerConfiguration {
        var configuration = TestBroker.configuration
        configuration.nodes = [.init(host: host, port: port)]
        configuration.connectTimeout = .seconds(3)
        configuration.tls = .init(caFile: caFile)
        return configuration
    }
}
