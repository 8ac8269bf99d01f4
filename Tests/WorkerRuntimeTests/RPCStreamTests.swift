import Contracts
import CoreMetrics
import Foundation
import Logging
import Messaging
import ServiceLifecycle
import TestSupport
import Testing
import WorkerRuntime

/// An RPC answered by several replies (a streamed chat completion) over a real broker.
@Suite("RPC with streamed replies")
struct RPCStreamTests {
    @Test func intermediateRepliesArriveInOrderThenTheFinalOne() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let logger = Logger(label: "test.rpc")
        try await TestBroker.admin.declare(declaration)
        let publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        publisher.start()
        let server = RPCServer(
            consumer: Consumer(configuration: TestBroker.configuration, queue: topology.rpcQueue(JobQueue("probe")), prefetch: 8, logger: logger),
            publisher: publisher, factory: NOOPMetricsHandler.instance, logger: logger
        ) { request, replies in
            let count = Int(String(decoding: request.body, as: UTF8.self)) ?? 0
            for index in 0..<count {
                try? await replies.send(.init(type: "chunk", body: Data("\(index)".utf8)))
            }
            return .init(type: "done", body: Data("\(count)".utf8))
        }
        let replyQueue = topology.replyQueue(instance: UUID().uuidString)
        let client = RPCClient(configuration: TestBroker.configuration, replyQueue: replyQueue, publisher: publisher, logger: logger)
        let serverTask = Task { try await server.run() }
        let clientTask = Task { await client.run() }
        defer {
            serverTask.cancel()
            clientTask.cancel()
        }
        #expect(await TestBroker.eventually { client.status.isConnected })

        let request = OutgoingMessage(exchange: "", routingKey: topology.rpcQueue(JobQueue("probe")), body: Data("5".utf8))
        var received: [String] = []
        for try await reply in try await client.stream(request, timeout: .seconds(10), isFinal: { $0.properties.type == "done" }) {
            received.append("\(reply.properties.type ?? "?"):\(String(decoding: reply.body, as: UTF8.self))")
        }
        #expect(received == ["chunk:0", "chunk:1", "chunk:2", "chunk:3", "chunk:4", "done:5"])

        // A one-reply call on the same client still works alongside.
        let single = try await client.call(
            OutgoingMessage(exchange: "", routingKey: topology.rpcQueue(JobQueue("probe")), body: Data("0".utf8)), timeout: .seconds(10))
        #expect(single.properties.type == "done")

        await client.close()
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [topology.rpcQueue(JobQueue("probe"))])
    }

    @Test func aStreamThatNeverEndsTimesOut() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let logger = Logger(label: "test.rpc")
        try await TestBroker.admin.declare(declaration)
        let publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        publisher.start()
        let client = RPCClient(
            configuration: TestBroker.configuration, replyQueue: topology.replyQueue(instance: UUID().uuidString), publisher: publisher, logger: logger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        #expect(await TestBroker.eventually { client.status.isConnected })
        // Nobody consumes the RPC queue: no reply ever comes.
        let request = OutgoingMessage(exchange: "", routingKey: topology.rpcQueue(JobQueue("probe")), body: Data("1".utf8))
        await #expect(throws: BrokerError.self) {
            for try await _ in try await client.stream(request, timeout: .milliseconds(300), isFinal: { _ in true }) {}
        }
        await client.close()
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [topology.rpcQueue(JobQueue("probe"))])
    }
}
