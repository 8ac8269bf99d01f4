import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

/// A broker setting that names several nodes of one cluster: a process connects to one
/// and, when it refuses or dies, moves to another without losing a confirmed publish.
@Suite("Broker nodes")
struct BrokerNodesTests {
    let logger = Logger(label: "test.broker-nodes")

    @Test("a list of URLs and one URL with several hosts both name every node; nodes that disagree are refused")
    func parsing() throws {
        let list = try BrokerConfiguration(url: "amqp://u:p%40ss@a:5672/v, amqp://u:p%40ss@b:5673/v")
        let hosts = try BrokerConfiguration(url: "amqp://u:p%40ss@a:5672,b:5673/v")
        for configuration in [list, hosts] {
            #expect(configuration.nodes == [.init(host: "a", port: 5672), .init(host: "b", port: 5673)])
            #expect(configuration.user == "u" && configuration.password == "p@ss" && configuration.virtualHost == "v")
            #expect(configuration.redactedDescription == "amqp://u@a:5672,b:5673/v")
        }
        let secure = try BrokerConfiguration(url: "amqps://u:p@a,b,c/")
        #expect(secure.nodes.map(\.port) == [5671, 5671, 5671] && secure.tls != nil)
        #expect(try BrokerConfiguration(url: "amqp://u:p@[::1]:5672/").nodes == [.init(host: "::1", port: 5672)])

        for bad in ["amqp://u:p@a/,amqps://u:p@b/", "amqp://u:p@a/,amqp://x:p@b/", "amqp://u:p@a/v,amqp://u:p@b/w", "amqp://u:p@a,/", "http://a/"] {
            #expect(throws: BrokerError.self, "\(bad)") { try BrokerConfiguration(url: bad) }
        }
    }

    @Test("a node that refuses is skipped: admin calls and publishes go to the next")
    func skipsARefusingNode() async throws {
        let closed = try ClosedPort()
        var configuration = TestBroker.configuration
        configuration.nodes.insert(.init(host: "127.0.0.1", port: closed.port), at: 0)
        let queue = "memgrid-nodes-\(UUID().uuidString.prefix(8))"
        let admin = BrokerAdmin(configuration: configuration)
        try await admin.declareQueue(queue)
        defer { Task { try? await TestBroker.admin.deleteQueues([queue]) } }

        let publisher = Publisher(configuration: configuration, logger: logger)
        publisher.start()
        try await publisher.publish(OutgoingMessage(exchange: "", routingKey: queue, body: Data("{}".utf8)))
        #expect(publisher.status.connectCount == 1)
        await publisher.close()
        #expect(try await admin.queueDepth(queue).messages == 1)
    }

    /// The first node is a one-connection relay to the broker; killing it is the node
    /// dying under the publisher mid-stream. Every publish call returns (none fails),
    /// and every message is in the queue: those unconfirmed at the kill were resent
    /// through the next node.
    @Test("when the connected node dies, publishing moves to the next node and loses nothing")
    func movesOnWhenTheNodeDies() async throws {
        let broker = TestBroker.configuration
        let port = try unusedPort()
        let relay = try Socat(listen: "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr", target: "TCP:\(broker.nodes[0])")
        defer { relay.stop() }
        var configuration = broker
        configuration.nodes.insert(.init(host: "127.0.0.1", port: port), at: 0)
        let queue = "memgrid-nodes-\(UUID().uuidString.prefix(8))"
        try await TestBroker.admin.declareQueue(queue)
        defer { Task { try? await TestBroker.admin.deleteQueues([queue]) } }

        // The relay takes one connection: wait until it listens without connecting to it.
        #expect(await TestBroker.eventually { isListening(port: port) })
        let publisher = Publisher(configuration: configuration, logger: logger)
        publisher.start()
        let total = 600
        let publishing = Task {
            for batch in stride(from: 0, to: total, by: 20) {
                try await publisher.publish((batch..<batch + 20).map {
                    OutgoingMessage(exchange: "", routingKey: queue, body: Data("\($0)".utf8), properties: MessageProperties(messageID: "m\($0)"))
                })
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(queue).messages >= 100 })
        relay.stop()
        try await publishing.value
        #expect(publisher.status.connectCount == 2)
        await publisher.close()

        let drained = try await TestBroker.admin.drain(queue, limit: 10 * total)
        #expect(Set(drained.compactMap(\.properties.messageID)) == Set((0..<total).map { "m\($0)" }))
    }
}

/// Whether a socket listens on the port, read from /proc/net/tcp (local address column,
/// state 0A = LISTEN) so that looking does not use up a one-connection relay.
private func isListening(port: Int) -> Bool {
    guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
    let suffix = String(format: ":%04X", port)
    return table.split(separator: "\n").contains { line in
        let columns = line.split(separator: " ")
        return columns.count > 3 && columns[1].hasSuffix(suffix) && columns[3] == "0A"
    }
}
