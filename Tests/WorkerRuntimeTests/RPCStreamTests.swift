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
            consumer: Consumer(configuration: TestBroker.configuration, queue: topology.rpcQueue(CountCall.queue), prefetch: 8, logger: logger),
            publisher: publisher, factory: NOOPMetricsHandler.instance, logger: logger, handler: Counting())
        let replyQueue = topology.replyQueue(instance: UUID().uuidString)
        let client = RPCClient(configuration: TestBroker.configuration, replyQueue: replyQueue, publisher: publisher, logger: logger)
        let serverTask = Task { try await server.run() }
        let clientTask = Task { await client.run() }
        defer {
            serverTask.cancel()
            clientTask.cancel()
        }
        #expect(await TestBroker.eventually { client.status.isConnected })

        var received: [String] = []
        for try await event in try await client.stream(CountCall(count: 5), topology: topology, timeout: .seconds(10)) {
            switch event {
            case .chunk(let tick): received.append("tick:\(try tick.decoded().index)")
            case .reply(let done): received.append("done:\(try done.decoded().count)")
            }
        }
        #expect(received == ["tick:0", "tick:1", "tick:2", "tick:3", "tick:4", "done:5"])

        // A one-reply call on the same client still works alongside.
        #expect(try await client.call(CountCall(count: 0), topology: topology, timeout: .seconds(10)).decoded().count == 0)

        // A failure is the caller's error, typed; so is a request the handler cannot decode.
        await #expect(throws: RPCCallError.self) { try await client.call(CountCall(count: -1), topology: topology, timeout: .seconds(10)) }
        do {
            _ = try await client.call(CountCall(count: -1), topology: topology, timeout: .seconds(10))
        } catch {
            guard case .failed(let failure) = error else { throw error }
            #expect(failure == RPCFailure(code: "invalid", message: "count must not be negative"))
        }
        let wrongType = OutgoingMessage(
            exchange: "", routingKey: topology.rpcQueue(CountCall.queue), body: Data("{}".utf8), properties: MessageProperties(type: "other.v1"))
        let refused = try await client.call(wrongType, timeout: .seconds(10))
        #expect(refused.properties.type == RPCFailure.type)
        #expect(try WireJSON.decoder().decode(RPCFailure.self, from: refused.body).code == "invalid")

        await client.close()
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [topology.rpcQueue(CountCall.queue)])
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
        do {
            for try await _ in try await client.stream(CountCall(count: 1), topology: topology, timeout: .milliseconds(300)) {}
            Issue.record("the stream ended without a reply")
        } catch {
            guard case .timeout = error else { throw error }
        }
        await client.close()
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [topology.rpcQueue(CountCall.queue)])
    }
}

/// A call answered by `count` ticks, then the count.
struct CountCall: RPCRequest, Equatable {
    typealias Reply = Done
    typealias Chunk = Tick
    static let type = "count.v1"
    static let queue = JobQueue("probe")
    var count: Int

    struct Tick: RPCMessage {
        static let type = "tick.v1"
        var index: Int
    }

    struct Done: RPCMessage {
        static let type = "done.v1"
        var count: Int
    }
}

struct Counting: RPCHandler {
    func answer(_ request: CountCall, context: RPCContext<CountCall>) async throws(RPCFailure) -> CountCall.Done {
        guard request.count >= 0 else { throw RPCFailure(code: "invalid", message: "count must not be negative") }
        for index in 0..<request.count {
            try? await context.send(CountCall.Tick(index: index))
        }
        return CountCall.Done(count: request.count)
    }
}
