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
            unchecked.host = "127.0.0.1"
            unchecked.tls?.verifyPeer = false
            let queue = "memgrid-tls-unchecked-\(UUID().uuidString.prefix(8))"
            try await BrokerAdmin(configuration: unchecked).declareQueue(queue)
            try await TestBroker.admin.deleteQueues([queue])
        }
    }
}

/// socat terminating TLS in front of the local broker, with a CA and a certificate for
/// localhost made for the test (and a second CA that signed nothing of it).
struct TLSTerminator {
    let directory: URL
    let port: Int
    var caFile: String { directory.appendingPathComponent("ca.pem").path }
    var otherCAFile: String { directory.appendingPathComponent("other-ca.pem").path }

    static func with(_ body: (TLSTerminator) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj"
        try shell("""
            \(openssl) /CN=memgrid-test-ca -keyout ca.key -out ca.pem
            \(openssl) /CN=other-ca -keyout other-ca.key -out other-ca.pem
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr
            printf 'subjectAltName=DNS:localhost\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out server.pem
            """, in: directory)
        let port = try unusedPort()
        let broker = TestBroker.configuration
        let socat = try Socat(
            listen: "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,verify=0,cert=\(directory.path)/server.pem,key=\(directory.path)/server.key",
            target: "TCP:\(broker.host):\(broker.port)")
        defer { socat.stop() }
        let terminator = TLSTerminator(directory: directory, port: port)
        let probe = "memgrid-tls-probe-\(UUID().uuidString.prefix(8))"
        let admin = BrokerAdmin(configuration: terminator.configuration(host: "localhost", caFile: terminator.caFile))
        var failure: (any Error)?
        let listening = await TestBroker.eventually(timeout: .seconds(10)) {
            do { try await admin.declareQueue(probe); return true } catch { failure = error; return false }
        }
        guard listening else { throw TestFailure("no TLS path to the broker through socat on \(port): \(String(describing: failure))") }
        try await admin.deleteQueues([probe])
        try await body(terminator)
    }

    func configuration(host: String, caFile: String) -> BrokerConfiguration {
        var configuration = TestBroker.configuration
        configuration.host = host
        configuration.port = port
        configuration.connectTimeout = .seconds(3)
        configuration.tls = .init(caFile: caFile)
        return configuration
    }

    private static func shell(_ script: String, in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-ec", script]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl failed making the test certificates") }
    }
}
