import Contracts
import FakeOpenAI
import Gateway
import Foundation
import Messaging
import Testing
import TestSupport

/// One trace from the HTTP request to the provider call, through RabbitMQ: on
/// `LLMGatewayTests.system`, whose LLM worker calls the fake provider.
extension LLMGatewayTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"

    /// A queue of the test's own, bound to the jobs and events exchanges, so it sees each
    /// message as published: the memorize job, its embed child and memory.created.
    static func tap(_ fixture: GatewayFixture, name: String) async throws -> String {
        let topology = Topology(prefix: fixture.prefix)
        let queue = "\(fixture.prefix).test.\(name)"
        try await TestBroker.admin.declareQueue(queue)
        try await TestBroker.admin.bind(queue, to: topology.jobsExchange, routingKey: "memorize")
        try await TestBroker.admin.bind(queue, to: topology.jobsExchange, routingKey: "embed")
        try await TestBroker.admin.bind(queue, to: topology.eventsExchange, routingKey: EventCatalog.memoryCreated.name)
        return queue
    }

    /// The tapped messages of `tenant`, once all three kinds came.
    static func tapped(_ queue: String, tenant: String) async -> [Delivery] {
        var seen: [Delivery] = []
        _ = await TestBroker.eventually(timeout: .seconds(30)) {
            seen += (try? await TestBroker.admin.drain(queue, limit: 50)) ?? []
            let types = Set(seen.filter { $0.body.contains(Data(tenant.utf8)) }.compactMap(\.properties.type))
            return types.isSuperset(of: ["memorize.v1", "embed.v1", "memory.created.v1"])
        }
        return seen.filter { $0.body.contains(Data(tenant.utf8)) }
    }

    /// The trace id a message carries in its headers and its envelope (nil when they differ).
    static func traceID(of delivery: Delivery) -> String? {
        struct Traced: Decodable { var trace: TraceContext? }
        let header = TraceContext(headers: delivery.properties.headers)?.traceID
        let envelope = (try? WireJSON.decoder().decode(Traced.self, from: delivery.body))?.trace?.traceID
        return header == envelope ? header : nil
    }

    @Test func aCallersTraceReachesEveryJobEventAndTheProvider() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "trace-tenant"
        let key = try await fixture.key(tenant: tenant)
        let queue = try await Self.tap(fixture, name: "trace-tap")
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": "tia", "messages": [["role": "user", "content": "TRACED: I live in Lyon."]]],
            headers: ["traceparent": "00-\(Self.traceID)-00f067aa0ba902b7-01", "tracestate": "vendor=opaque"])
        #expect(reply.status == 202)
        let job = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)
        #expect(job["status"] as? String == "succeeded")

        let messages = await Self.tapped(queue, tenant: tenant)
        for type in ["memorize.v1", "embed.v1", "memory.created.v1"] {
            let message = try #require(messages.first { $0.properties.type == type }, "\(type) never published")
            #expect(Self.traceID(of: message) == Self.traceID, "\(type): \(message.properties.headers)")
            #expect(message.properties.headers[WireHeader.tracestate]?.stringValue == "vendor=opaque", "\(type)")
        }
        // Each hop has its own span id, none of them the caller's.
        let spans = messages.compactMap { TraceContext(headers: $0.properties.headers)?.spanID }
        #expect(!spans.contains("00f067aa0ba902b7"))

        let extraction = try #require(
            Self.fake.requests.indices.last { Self.fake.requests[$0].messages.contains { $0.text.contains("TRACED: I live") } })
        let providerTrace = try #require(Self.fake.traceparents[extraction])
        #expect(TraceContext.parse(traceparent: providerTrace, tracestate: nil)?.traceID == Self.traceID)
    }

    @Test func aMalformedTraceparentStartsANewTrace() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "trace-malformed"
        let key = try await fixture.key(tenant: tenant)
        let queue = try await Self.tap(fixture, name: "trace-malformed")
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": "tom", "messages": [["role": "user", "content": "I live in Lyon."]]],
            headers: ["traceparent": "00-\(Self.traceID)-0000000000000000-01"])
        #expect(reply.status == 202)
        let messages = await Self.tapped(queue, tenant: tenant)
        let traces = Set(messages.map { Self.traceID(of: $0) })
        #expect(traces.count == 1)
        let started = try #require(traces.first ?? nil, "every message carries the same valid trace")
        #expect(started != Self.traceID)
    }

    /// An integration that sets only the AMQP headers, or only the envelope's `trace`, is
    /// honoured: the job's children carry its trace.
    @Test(arguments: [true, false])
    func aPublishersTraceInTheHeadersOrTheEnvelopeAloneIsContinued(inHeaders: Bool) async throws {
        let fixture = try await Self.system.fixture
        let tenant = "trace-only-\(inHeaders ? "headers" : "envelope")"
        _ = try await fixture.key(tenant: tenant)
        let queue = try await Self.tap(fixture, name: tenant)
        let traceparent = "00-\(Self.traceID)-a3ce929d0e0e4736-01"
        let envelope = JobEnvelope(
            id: "integration-\(UUID().uuidString)", tenantID: tenant,
            trace: inHeaders ? nil : TraceContext(traceparent: traceparent),
            payload: MemorizeJob(userID: "ivy", messages: [.init(role: .user, content: "I live in Lyon.")]))
        var message = try OutgoingMessage.job(envelope, topology: Topology(prefix: fixture.prefix))
        message.properties.headers[WireHeader.traceparent] = inHeaders ? .string(traceparent) : nil
        try await fixture.gateway.publisher.publish(message)
        let messages = await Self.tapped(queue, tenant: tenant)
        for type in ["embed.v1", "memory.created.v1"] {
            let child = try #require(messages.first { $0.properties.type == type }, "\(type) never published")
            #expect(Self.traceID(of: child) == Self.traceID, "\(type)")
        }
    }
}
