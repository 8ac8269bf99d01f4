import Contracts
import Foundation
import Logging
import Messaging
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport
@testable import WorkerRuntime

/// Blocks handlers until opened. Not cancellation-aware on purpose: graceful shutdown
/// must let in-flight work finish rather than cancel it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("in-flight jobs finish and are acked; prefetched ones go back to the queue")
    func drain() async throws {
        let gate = Gate()
        let handler = ScriptedHandler { _, _ in await gate.wait() }
        let harness = try await WorkerHarness(handler: handler, concurrency: 4)
        for n in 0..<20 { try await harness.publishJob(id: "job-\(n)", n: n) }
        let group = ServiceGroup(services: [harness.worker], logger: Logger(label: "test.shutdown"))
        let running = Task { try await group.run() }

        // Four handlers start (prefetch 4) and block; then shutdown begins.
        #expect(await TestBroker.eventually { handler.callCount == 4 })
        await group.triggerGracefulShutdown()
        try await Task.sleep(for: .milliseconds(200))
        gate.open()
        try await running.value

        #expect(handler.callCount == 4, "no new job may start once draining")
        let queue = harness.topology.workQueue(harness.queue)
        #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(queue).messages == 16 })
        #expect(harness.metricsText().contains(#"memgrid_jobs_acked_total{queue="probe"} 4"#))
        await harness.stop()
    }

    @Test("RPC requests drain like jobs: the ones in hand are answered, the rest stay queued; in-flight is a metric")
    func rpcDrain() async throws {
        let declaration = TestBroker.makeTopology()
        let topology = declaration.topology
        let logger = Logger(label: "test.shutdown")
        try await TestBroker.admin.declare(declaration)
        let (requests, replies) = (topology.rpcQueue(CountCall.queue), "\(topology.prefix).test.replies")
        try await TestBroker.admin.declareQueue(replies)
        let publisher = Publisher(configuration: TestBroker.configuration, logger: logger)
        publisher.start()
        let registry = PrometheusCollectorRegistry()
        let gate = Gate()
        let started = Mutex(0)
        let server = RPCServer(
            consumer: Consumer(configuration: TestBroker.configuration, queue: requests, prefetch: 2, logger: logger),
            publisher: publisher, factory: PrometheusMetricsFactory(registry: registry), logger: logger,
            handler: Gated(gate: gate) { started.withLock { $0 += 1 } })
        for n in 0..<6 {
            try await publisher.publish(OutgoingMessage(
                exchange: "", routingKey: requests, body: try WireJSON.encoder().encode(CountCall(count: n)),
                properties: MessageProperties(correlationID: "c\(n)", replyTo: replies, type: CountCall.type)))
        }
        let group = ServiceGroup(services: [server], logger: logger)
        let running = Task { try await group.run() }

        #expect(await TestBroker.eventually { started.withLock { $0 } == 2 })
        let inFlight = registry.emitToString().contains(#"memgrid_rpc_requests_in_flight{queue="\#(requests)"} 2"#)
        await group.triggerGracefulShutdown()
        try await Task.sleep(for: .milliseconds(200))
        gate.open()
        try await running.value

        #expect(inFlight, "\(registry.emitToString())")
        #expect(started.withLock { $0 } == 2, "no new request may start once draining")
        #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(replies).messages == 2 })
        #expect(try await TestBroker.admin.queueDepth(requests).messages == 4)
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [requests, replies])
    }
}

/// Answers once the gate opens, counting the calls it started.
private struct Gated: RPCHandler {
    let gate: Gate
    let onStart: @Sendable () -> Void

    func answer(_ request: CountCall, context: RPCContext<CountCall>) async throws(RPCFailure) -> CountCall.Done {
        onStart()
        await gate.wait()
        return CountCall.Done(count: request.count)
    }
}
