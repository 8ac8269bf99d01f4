import Contracts
import Foundation
import Messaging
import Synchronization
import Testing
import TestSupport
@testable import WorkerRuntime

@Suite("Ack, retry and dead-letter policy against the real broker")
struct FailurePolicyTests {
    @Test("a successful job is handled once and acked")
    func success() async throws {
        let handler = ScriptedHandler()
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        try await harness.publishJob(id: "ok-1", n: 7)
        #expect(await TestBroker.eventually { handler.callCount == 1 })
        await harness.stop()
        #expect(handler.calls.withLock { $0.first?.attempt } == 1)
        #expect(harness.metricsText().contains(#"memgrid_jobs_acked_total{queue="probe"} 1"#))
    }

    @Test("a retryable failure is retried with backoff, then dead-lettered with reason headers")
    func retryThenDeadLetter() async throws {
        let handler = ScriptedHandler { _, _ in throw TestFailure("database unavailable") }
        let harness = try await WorkerHarness(handler: handler)
        let events = "\(harness.topology.prefix).events-subscriber"
        try await TestBroker.admin.declareQueue(events)
        try await TestBroker.admin.bind(events, to: harness.topology.eventsExchange, routingKey: "job.*")
        harness.start()
        try await harness.publishJob(id: "flaky-1")
        let dead = try await harness.deadLetters(count: 1)
        let eventMessages = try await TestBroker.admin.drain(events, limit: 10)
        await harness.stop()
        try await TestBroker.admin.deleteQueues([events])

        let eventMessage = try #require(eventMessages.first)
        #expect(eventMessages.count == 1)
        #expect(eventMessage.routingKey == "job.dead_lettered")
        #expect(eventMessage.properties.type == "job.dead_lettered.v1")
        let event = try WireJSON.decoder().decode(EventEnvelope<JobDeadLettered>.self, from: eventMessage.body)
        #expect(event.tenantID == "t1")
        #expect(event.correlationID == "flaky-1")
        #expect(event.id == eventMessage.properties.messageID)
        #expect(event.payload == JobDeadLettered(
            jobID: "flaky-1", jobType: "probe.v1", queue: harness.queue, reason: .attemptsExhausted,
            error: "database unavailable", attempts: 3))

        #expect(handler.calls.withLock { $0.map(\.attempt) } == [1, 2, 3])
        let message = try #require(dead.first)
        #expect(dead.count == 1)
        #expect(message.properties.messageID == "flaky-1")
        let headers = message.properties.headers
        #expect(headers[WireHeader.deadLetterReason] == .string("attempts_exhausted"))
        #expect(headers[WireHeader.attempt] == .int(3))
        #expect(headers[WireHeader.error]?.stringValue?.contains("database unavailable") == true)
        #expect(headers[WireHeader.originalExchange] == .string(harness.topology.jobsExchange))
        #expect(headers[WireHeader.originalRoutingKey] == .string("probe"))
        #expect(headers[WireHeader.deadLetteredAt] != nil)
        #expect(message.properties.expiration == nil)
        #expect(harness.metricsText().contains(#"memgrid_jobs_retried_total{queue="probe"} 2"#))
    }

    @Test("a wait the failure asks for (Retry-After) beats the backoff, up to maxDelay, in the last delay queue", arguments: [
        (60, "60000"), (600, "120000"),
    ])
    func retryAfter(seconds: Int, expiration: String) async throws {
        let handler = ScriptedHandler { _, _ in throw JobFailure.retryable("receiver busy", after: .seconds(seconds)) }
        let harness = try await WorkerHarness(
            handler: handler, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20), maxDelay: .seconds(120)))
        harness.start()
        try await harness.publishJob(id: "busy-1")
        let lastLevel = harness.topology.retryQueue(harness.queue, level: harness.topology.retryLevels)
        let parked = await TestBroker.eventually { (try? await harness.depth(lastLevel)) == 1 }
        let messages = try await TestBroker.admin.drain(lastLevel, limit: 10)
        await harness.stop()
        #expect(parked)
        #expect(handler.callCount == 1)
        #expect(messages.map(\.properties.expiration) == [expiration])
        #expect(messages.first?.properties.headers[WireHeader.attempt] == .int(2))
    }

    @Test("a job that fails once succeeds on its retry")
    func retryThenSucceed() async throws {
        let handler = ScriptedHandler { _, context in
            if context.attempt == 1 { throw TestFailure("transient") }
        }
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        try await harness.publishJob(id: "once-1")
        #expect(await TestBroker.eventually { handler.callCount == 2 })
        try await Task.sleep(for: .milliseconds(200))
        let deadLetters = try await harness.depth(harness.topology.deadLetterQueue(harness.queue))
        await harness.stop()
        #expect(handler.calls.withLock { $0.map(\.attempt) } == [1, 2])
        #expect(deadLetters == 0)
    }

    @Test("non-retryable input is dead-lettered at once with its reason", arguments: [
        ("not json at all", "probe.v1", "malformed"),
        (#"{"id":"x"}"#, "probe.v1", "malformed"),
        (#"{"attempt":1,"created_at":"2026-01-01T00:00:00Z","id":"u","kind":"probe","payload":{"n":1},"tenant_id":"t","version":9}"#, "probe.v9", "unknown_type"),
        (#"{"attempt":1,"created_at":"2026-01-01T00:00:00Z","id":"i","kind":"probe","payload":{"n":"seven"},"tenant_id":"t","version":1}"#, "probe.v1", "invalid"),
        (#"{"attempt":1,"created_at":"2026-01-01T00:00:00Z","id":"m","kind":"other","payload":{"n":1},"tenant_id":"t","version":1}"#, "probe.v1", "invalid"),
        (#"{"attempt":1,"created_at":"2026-01-01T00:00:00Z","id":"n\u0000","kind":"probe","payload":{"n":1},"tenant_id":"t","version":1}"#, "probe.v1", "invalid"),
    ])
    func poisonMessages(body: String, type: String, reason: String) async throws {
        let handler = ScriptedHandler()
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        try await harness.publishRaw(Data(body.utf8), id: "poison", type: type)
        let dead = try await harness.deadLetters(count: 1)
        await harness.stop()
        #expect(handler.callCount == 0)
        #expect(dead.count == 1)
        #expect(dead.first?.body == Data(body.utf8))
        #expect(dead.first?.properties.headers[WireHeader.deadLetterReason] == .string(reason))
        #expect(dead.first?.properties.headers[WireHeader.attempt] == .int(1))
    }

    @Test("an attempt header out of range from another publisher is dead-lettered, not trapped on", arguments: [Int64.min, 0, Int64.max])
    func hostileAttemptHeader(value: Int64) async throws {
        let handler = ScriptedHandler()
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        let body = try WireJSON.encoder().encode(JobEnvelope(
            id: "hostile", type: JobType(kind: "probe", version: 1, queue: harness.queue), tenantID: "t1", payload: Probe(n: 1)))
        try await harness.publishRaw(body, id: "hostile", type: "probe.v1", headers: [WireHeader.attempt: .int(value)])
        let dead = try await harness.deadLetters(count: 1)
        try await harness.publishJob(id: "after")
        #expect(await TestBroker.eventually { handler.callCount == 1 })
        await harness.stop()
        #expect(dead.first?.properties.headers[WireHeader.deadLetterReason] == .string("invalid"))
        #expect(dead.first?.properties.headers[WireHeader.error] == .string("x-memgrid-attempt must be between 1 and 1000000"))
    }

    @Test("a message without a type property is routed by its envelope")
    func typeFromEnvelope() async throws {
        let handler = ScriptedHandler()
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        let body = try WireJSON.encoder().encode(JobEnvelope(
            id: "untyped", type: JobType(kind: "probe", version: 1, queue: harness.queue), tenantID: "t1", payload: Probe(n: 1)))
        try await harness.publishRaw(body, id: "untyped", type: nil)
        #expect(await TestBroker.eventually { handler.callCount == 1 })
        await harness.stop()
    }

    @Test("a permanent failure is dead-lettered without retries")
    func permanentFailure() async throws {
        let handler = ScriptedHandler { _, _ in throw JobFailure.permanent("memory item 42 does not exist") }
        let harness = try await WorkerHarness(handler: handler)
        harness.start()
        try await harness.publishJob(id: "gone-1")
        let dead = try await harness.deadLetters(count: 1)
        await harness.stop()
        #expect(handler.callCount == 1)
        #expect(dead.first?.properties.headers[WireHeader.deadLetterReason] == .string("permanent_failure"))
        #expect(dead.first?.properties.headers[WireHeader.error] == .string("memory item 42 does not exist"))
    }

    @Test("retry delays grow exponentially within the jitter band and respect the cap")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(1), maxDelay: .seconds(30), jitter: 0.25)
        for attempt in 1...8 {
            let nominal = min(Double(1 << (attempt - 1)), 30)
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= .seconds(nominal * 0.75) && delay <= .seconds(nominal * 1.25))
            }
        }
    }
}
