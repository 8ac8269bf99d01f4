import Contracts
import FakeOpenAI
import Foundation
import Logging
import ServiceLifecycle
import Testing
import TestSupport
import Tracing
import WorkerRuntime

/// With an OTLP exporter, one memorize is one span tree at the collector, from the
/// caller's span through the gateway, RabbitMQ, both workers, the provider call and
/// PostgreSQL (docs/observability.md draws it).
@Suite struct SpanTreeTests {
    static let traceID = "5bf92f3577b34da6a3ce929d0e0e4737"
    static let callerSpanID = "00f067aa0ba902b7"
    static let usage = FakeOpenAIServer.usage(prompt: 100, completion: 20, cached: 0, spelling: .openAI)
    static let fake = FakeOpenAIServer { request in
        guard request.responseFormat != nil else { return .reply(content: "ok", usage: usage) }
        return .reply(
            content: #"{"memories": [{"type": "profile", "text": "Lives in Lyon", "categories": ["location"], "happened_at": null, "message_indices": [0]}]}"#,
            usage: usage)
    }

    /// Parent of each span, by name: the tree the collector must see.
    static let tree: KeyValuePairs<String, String> = [
        "send memorize": "POST /v1/memorize",
        "process memorize": "send memorize",
        "handle memorize.v1": "process memorize",
        "chat fake-chat": "handle memorize.v1",
        "INSERT memory_items": "handle memorize.v1",
        "send embed": "handle memorize.v1",
        "process embed": "send embed",
        "handle embed.v1": "process embed",
        "embed batch": "handle embed.v1",
        "encode": "embed batch",
        "INSERT embeddings": "handle embed.v1",
    ]

    @Test func oneMemorizeIsOneSpanTreeAtTheCollector() async throws {
        let receiver = OTLPReceiver()
        let serving = Task { try await receiver.serve() }
        defer { serving.cancel() }
        _ = await TestBroker.eventually(timeout: .seconds(60)) { receiver.port != nil }
        let tracing = try TracingBackend.otlp(
            serviceName: "memgrid-test", endpoint: "http://127.0.0.1:\(try #require(receiver.port))/v1/traces", json: true,
            logger: Logger(label: "test.otel"))
        try await tracing.withExporting(logger: Logger(label: "test.otel")) {
            let fixture = try await GatewayFixture.withFakeLLM(Self.fake) { port in
                """
                {"providers": [{"name": "fake", "base_url": "http://127.0.0.1:\(port)/v1",
                  "models": [{"name": "fake-chat", "input_per_million": 1, "output_per_million": 2}]}]}
                """
            }
            do {
                try await checkTree(fixture, tracing: tracing, receiver: receiver)
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }

    private func checkTree(_ fixture: GatewayFixture, tracing: TracingBackend, receiver: OTLPReceiver) async throws {
        let key = try await fixture.key(tenant: "span-tree")
        // Ends (and is exported, if it were traced) before any span of the memorize.
        #expect(try await fixture.request("GET", "/healthz", headers: ["traceparent": "00-\(Self.traceID)-\(Self.callerSpanID)-01"]).status == 200)
        let reply = try await fixture.request(
            // A text of its own, so the embedding cache (shared across runs) cannot skip the model.
            "POST", "/v1/memorize", key: key,
            json: ["user_id": "ada", "messages": [["role": "user", "content": "I live in Lyon. \(UUID().uuidString)"]]],
            headers: ["traceparent": "00-\(Self.traceID)-\(Self.callerSpanID)-01"])
        #expect(reply.status == 202)
        _ = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)

        let names = Set(Self.tree.map(\.key) + Self.tree.map(\.value))
        var spans: [OTLPReceiver.Span] = []
        let complete = await TestBroker.eventually(timeout: .seconds(30)) {
            tracing.tracer.forceFlush()
            spans = receiver.spans.filter { $0.traceID == Self.traceID }
            return Set(spans.map(\.name)).isSuperset(of: names)
        }
        #expect(complete, "spans seen: \(spans)")
        func span(_ name: String) -> OTLPReceiver.Span? { spans.first { $0.name == name } }

        #expect(span("GET /healthz") == nil, "liveness probes are not traced")
        let server = try #require(span("POST /v1/memorize"))
        #expect(server.parentSpanID == Self.callerSpanID)
        #expect(server.kind == 2)
        #expect(server.attributes["http.response.status_code"] == "202")
        // A name can occur more than once (the extraction's embed query has a batch too).
        for (child, parent) in Self.tree {
            let parents = spans.filter { $0.name == child }.map { span in spans.first { $0.spanID == span.parentSpanID }?.name }
            #expect(parents.contains(parent), "parents of \(child): \(parents)")
        }
        #expect(span("send memorize")?.kind == 4)
        #expect(span("process memorize")?.kind == 5)
        #expect(span("process memorize")?.attributes["messaging.system"] == "rabbitmq")
        let chat = try #require(span("chat fake-chat"))
        #expect(chat.kind == 3)
        #expect(chat.attributes["gen_ai.request.model"] == "fake-chat")
        #expect(chat.attributes["gen_ai.usage.input_tokens"] == "100")
        #expect(chat.attributes["gen_ai.usage.output_tokens"] == "20")
        #expect(span("INSERT embeddings")?.attributes["db.system.name"] == "postgresql")
    }
}

/// How a process runs with spans: the environment decides, and what was recorded before
/// shutdown reaches the collector.
@Suite struct TracingBackendTests {
    @Test(arguments: [
        ([:], false),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"], true),
        (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"], true),
        (["OTEL_TRACES_EXPORTER": "console"], true),
        (["OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"], false),
        (["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"], false),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": ""], false),
    ])
    func theEnvironmentTurnsSpansOn(_ environment: [String: String], _ on: Bool) throws {
        let backend = try TracingBackend.fromEnvironment(
            EnvironmentReader(environment), serviceName: "memgrid-test", logger: Logger(label: "test.otel"))
        #expect((backend != nil) == on)
    }

    /// A service records a span and ends; the process's runner then flushes the exporter.
    @Test func spansRecordedBeforeShutdownAreExported() async throws {
        let receiver = OTLPReceiver()
        let serving = Task { try await receiver.serve() }
        defer { serving.cancel() }
        _ = await TestBroker.eventually(timeout: .seconds(60)) { receiver.port != nil }
        let logger = Logger(label: "test.otel")
        let tracing = try TracingBackend.otlp(
            serviceName: "memgrid-test", endpoint: "http://127.0.0.1:\(try #require(receiver.port))/v1/traces", json: true, logger: logger)
        struct OneHop: Service {
            func run() async throws {
                await Telemetry.withHop("last words", kind: .internal, parent: nil, startsTrace: true) { _ in }
            }
        }
        let process = ServiceGroup(configuration: .init(
            services: [.init(service: OneHop(), successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger))
        try await TracingBackend.run(process, tracing: tracing, logger: logger)
        #expect(receiver.spans.contains { $0.name == "last words" })
    }
}
