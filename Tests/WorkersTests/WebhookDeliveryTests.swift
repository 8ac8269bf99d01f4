import Contracts
import Crypto
import Foundation
import Hummingbird
import Logging
import Messaging
import NIOCore
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import Testing
import SystemHarness
import TestSupport
import WorkerRuntime
import ProactiveWorker

/// A tenant's webhook endpoint: the one external service in these tests. Answers each
/// request as `answer` says, given how many requests for the same event id came before,
/// and records every request.
final class WebhookReceiver: Sendable {
    enum Answer: Sendable {
        case status(Int, retryAfter: String? = nil)
        /// Answers 204 only after 5 s: far beyond the worker's timeout in the test.
        case hang
    }

    struct Request: Sendable {
        /// Lowercased header names.
        var headers: [String: String]
        var body: Data
        var answered: Int?

        var eventID: String { headers["x-memgrid-event-id"] ?? "" }
        var event: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    private struct State {
        var port: Int?
        var requests: [Request] = []
    }

    private let answer: @Sendable (_ eventID: String, _ earlier: Int) -> Answer
    private let state = Mutex(State())

    init(answer: @escaping @Sendable (_ eventID: String, _ earlier: Int) -> Answer) {
        self.answer = answer
    }

    var url: String { "http://127.0.0.1:\(state.withLock { $0.port } ?? 0)/hooks/memgrid?source=test" }
    var requests: [Request] { state.withLock { $0.requests } }

    func requests(for eventID: String) -> [Request] { requests.filter { $0.eventID == eventID } }

    /// Serves on a free port while `body` runs.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, listening) = AsyncStream.makeStream(of: Int.self)
            group.addTask {
                defer { listening.finish() }
                try await self.serve { listening.yield($0) }
            }
            guard await ports.first(where: { _ in true }) != nil else {
                try await group.waitForAll()
                throw CancellationError()
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    private func serve(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.post("/hooks/memgrid") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Request(headers: headers, body: Data(buffer.readableBytesView))
            let (answer, index) = self.state.withLock { state in
                let earlier = state.requests.count(where: { $0.eventID == received.eventID })
                state.requests.append(received)
                return (self.answer(received.eventID, earlier), state.requests.count - 1)
            }
            switch answer {
            case .hang:
                try await Task.sleep(for: .seconds(5))
                return Response(status: .noContent)
            case .status(let code, let retryAfter):
                self.state.withLock { $0.requests[index].answered = code }
                var headers = HTTPFields()
                if let retryAfter { headers[.retryAfter] = retryAfter }
                return Response(
                    status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{\"ok\": \(code < 300)}")))
            }
        }
        var logger = Logger(label: "test.webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                self.state.withLock { $0.port = port }
                onListening(port)
            },
            logger: logger)
        try await app.runService()
    }

    /// Checks `X-Memgrid-Signature` the way a receiver would: recompute the HMAC over
    /// `"<t>.<body>"` with the secret and compare.
    static func signatureIsValid(_ request: Request, secret: String) -> Bool {
        guard let header = request.headers["x-memgrid-signature"] else { return false }
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let t = fields["t"], Int(t) != nil, let v1 = fields["v1"] else { return false }
        let expected = HMAC<SHA256>.authenticationCode(
            for: Data("\(t).".utf8) + request.body, using: SymmetricKey(data: Data(secret.utf8)))
        return v1 == expected.map { String(format: "%02x", $0) }.joined()
    }
}

/// A proactive worker in-process on a scratch database and topology; retries are fast
/// through the retry policy's settings.
final class WebhookWorkerFixture: Sendable {
    static let hookedTenant = "t-hooked"
    static let plainTenant = "t-plain"

    let database = ScratchDatabase()
    let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
    let logger = Logger(label: "test.webhooks")
    let system: SystemHarness
    private let running = Mutex<WorkerProcess.Parts?>(nil)

    init(environment overrides: [String: String] = [:]) async throws {
        try await database.createMigrated()
        try await database.execute(
            "INSERT INTO tenants (id, name) VALUES ('\(Self.hookedTenant)', 'Hooked'), ('\(Self.plainTenant)', 'Plain')")
        let defaults = [
            "MEMGRID_RETRY_BASE_DELAY_MS": "20", "MEMGRID_RETRY_MAX_DELAY_MS": "200", "MEMGRID_RETRY_MAX_ATTEMPTS": "4",
            "MEMGRID_PROACTIVE_POLL_MS": "50",
            // The receiver is on loopback: allowed the way an operator allows an on-premises one.
            "MEMGRID_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "MEMGRID_WEBHOOK_ALLOW_HTTP": "true",
        ]
        system = try SystemHarness(databaseURL: database.url, prefix: prefix, overrides: defaults.merging(overrides) { $1 }, logger: logger)
        try await TestBroker.admin.declare(system.declaration)
    }

    var topology: Topology { system.topology }

    /// The running worker's parts (its publisher); only inside `run`.
    var parts: WorkerProcess.Parts { running.withLock { $0! } }

    /// Runs the worker while `body` runs, then stops it and drops everything.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let parts = try system.proactiveWorker()
            running.withLock { $0 = parts }
            try await system.waitUntilReady()
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    private func stop() async {
        await system.stop()
        await TestBroker.tearDown(system.declaration)
        await database.drop()
    }

    /// Sets the tenant's webhook; returns the secret.
    @discardableResult
    func setWebhook(
        tenant: String = hookedTenant, url: String, secret: String = "whsec_test_\(UUID().uuidString)",
        events: [String] = ["proactive.reminder"]
    ) async throws -> String {
        _ = try await database.withClient(url: database.url) { client in
            try await WebhookRepository(client: client).set(tenantID: tenant, url: url, secret: secret, events: events, logger: self.logger)
        }
        return secret
    }

    /// Publishes a `webhook.v1` job carrying a made-up reminder event; returns the event.
    @discardableResult
    func publishDelivery(tenant: String = hookedTenant, eventID: String = "rem-\(UUID().uuidString):proactive.reminder") async throws
        -> EventEnvelope<ProactiveReminder>
    {
        let now = Date()
        let event = EventEnvelope(
            id: eventID, tenantID: tenant, occurredAt: now,
            payload: ProactiveReminder(
                reminderID: "rem-1", userID: "u-1", agentID: nil, memoryID: nil, text: "Dentist at 15:00 ✓ «ü»", dueAt: now,
                eventAt: now, firedAt: now, late: false, timeZone: "Asia/Shanghai"))
        let json = try WireJSON.decoder().decode(JSONValue.self, from: try WireJSON.encoder().encode(event))
        let job = JobEnvelope(id: "\(eventID):webhook", tenantID: tenant, payload: WebhookJob(event: json))
        try await parts.publisher.publish(.job(job, topology: topology))
        return event
    }

    /// Waits for `count` dead letters.
    func deadLetters(count: Int) async throws -> [Delivery] {
        var dead: [Delivery] = []
        let queue = topology.deadLetterQueue(.proactive)
        _ = try await TestBroker.eventually(timeout: .seconds(60)) {
            dead += try await TestBroker.admin.drain(queue, limit: 100)
            return dead.count >= count
        }
        return dead
    }
}

extension Delivery {
    fileprivate func header(_ name: String) -> String? { properties.headers[name]?.stringValue }
}

@Suite("Webhook delivery by the proactive worker, against the real servers", .serialized)
struct WebhookDeliveryTests {
    @Test("503 twice, then 200: delivered once, signed, with the event's bytes and headers")
    func retriedUntilDelivered() async throws {
        let receiver = WebhookReceiver { _, earlier in earlier < 2 ? .status(503) : .status(200) }
        let fixture = try await WebhookWorkerFixture()
        try await receiver.run {
            try await fixture.run {
                let secret = try await fixture.setWebhook(url: receiver.url)
                let event = try await fixture.publishDelivery()
                let delivered = await TestBroker.eventually(timeout: .seconds(60)) {
                    receiver.requests(for: event.id).contains { $0.answered == 200 }
                }
                #expect(delivered)
                // A later delivery arrives after anything left of the first one would.
                let marker = try await fixture.publishDelivery()
                _ = await TestBroker.eventually(timeout: .seconds(60)) { !receiver.requests(for: marker.id).isEmpty }

                let requests = receiver.requests(for: event.id)
                #expect(requests.map(\.answered) == [503, 503, 200])
                #expect(requests.map { $0.headers["x-memgrid-delivery-attempt"] } == ["1", "2", "3"])
                let last = try #require(requests.last)
                #expect(last.headers["content-type"] == "application/json")
                #expect(last.headers["x-memgrid-event-id"] == event.id)
                #expect(last.headers["x-memgrid-event-type"] == "proactive.reminder")
                #expect(WebhookReceiver.signatureIsValid(last, secret: secret))
                #expect(!WebhookReceiver.signatureIsValid(last, secret: secret + "x"), "a wrong secret must not verify")
                var tampered = last
                tampered.body.append(contentsOf: Array(" ".utf8))
                #expect(!WebhookReceiver.signatureIsValid(tampered, secret: secret), "a changed body must not verify")
                let timestamp = try #require(last.headers["x-memgrid-signature"]?.split(separator: ",").first?.dropFirst(2))
                #expect(abs(Double(timestamp)! - Date().timeIntervalSince1970) < 600)
                // The body is the event as published, in the wire encoding.
                #expect(last.body == (try WireJSON.encoder().encode(event)))
                #expect(last.event["id"] as? String == event.id)
                let dead = try await TestBroker.admin.drain(fixture.topology.deadLetterQueue(.proactive), limit: 10)
                #expect(dead.isEmpty)
            }
        }
    }

    @Test("429 with Retry-After: 60: the retry waits 60 s (beyond the backoff) in the last delay queue")
    func retryAfterIsHonoured() async throws {
        let receiver = WebhookReceiver { _, _ in .status(429, retryAfter: "60") }
        let fixture = try await WebhookWorkerFixture(environment: ["MEMGRID_RETRY_MAX_DELAY_MS": "120000"])
        try await receiver.run {
            try await fixture.run {
                try await fixture.setWebhook(url: receiver.url)
                try await fixture.publishDelivery()
                let lastLevel = fixture.topology.retryQueue(.proactive, level: fixture.topology.retryLevels)
                let parked = await TestBroker.eventually { (try? await TestBroker.admin.queueDepth(lastLevel).messages) == 1 }
                let waiting = try await TestBroker.admin.drain(lastLevel, limit: 10)
                #expect(parked)
                #expect(receiver.requests.count == 1)
                #expect(waiting.map(\.properties.expiration) == ["60000"])
                #expect(waiting.first?.header(WireHeader.error) == "webhook answered 429")
            }
        }
    }

    @Test("400: dead-lettered at once with the status in the reason, after a single request")
    func rejectedIsDeadLettered() async throws {
        let receiver = WebhookReceiver { _, _ in .status(400) }
        let fixture = try await WebhookWorkerFixture()
        try await receiver.run {
            try await fixture.run {
                try await fixture.setWebhook(url: receiver.url)
                let event = try await fixture.publishDelivery()
                let dead = try await fixture.deadLetters(count: 1)
                #expect(dead.count == 1)
                let letter = try #require(dead.first)
                #expect(letter.properties.messageID == "\(event.id):webhook")
                #expect(letter.header(WireHeader.deadLetterReason) == DeadLetterReason.permanentFailure.rawValue)
                #expect(letter.header(WireHeader.error)?.contains("webhook answered 400") == true, "\(letter.header(WireHeader.error) ?? "-")")
                #expect(receiver.requests(for: event.id).count == 1)
            }
        }
    }

    @Test("503 every time: retried up to the attempt limit, then dead-lettered as attempts_exhausted")
    func retriesRunOut() async throws {
        let receiver = WebhookReceiver { _, _ in .status(503) }
        let fixture = try await WebhookWorkerFixture(environment: ["MEMGRID_RETRY_MAX_ATTEMPTS": "3"])
        try await receiver.run {
            try await fixture.run {
                try await fixture.setWebhook(url: receiver.url)
                let event = try await fixture.publishDelivery()
                let dead = try await fixture.deadLetters(count: 1)
                let letter = try #require(dead.first)
                #expect(letter.header(WireHeader.deadLetterReason) == DeadLetterReason.attemptsExhausted.rawValue)
                #expect(letter.header(WireHeader.error)?.contains("webhook answered 503") == true)
                #expect(receiver.requests(for: event.id).count == 3)
            }
        }
    }

    /// A webhook set before the policy (or a DNS answer that changed since) is vetted
    /// again at delivery: the receiver on loopback never sees a request, and the tenant's
    /// dead letter says only that the URL is not allowed.
    @Test("without the operator's allowlist a loopback receiver gets nothing: refused before connecting")
    func privateReceiverIsRefusedAtDelivery() async throws {
        let receiver = WebhookReceiver { _, _ in .status(200) }
        let fixture = try await WebhookWorkerFixture(environment: [
            "MEMGRID_WEBHOOK_ALLOWED_HOSTS": "", "MEMGRID_RETRY_MAX_ATTEMPTS": "2",
        ])
        try await receiver.run {
            try await fixture.run {
                try await fixture.setWebhook(url: receiver.url)
                try await fixture.publishDelivery()
                let letter = try #require(try await fixture.deadLetters(count: 1).first)
                #expect(letter.header(WireHeader.deadLetterReason) == DeadLetterReason.attemptsExhausted.rawValue)
                #expect(letter.header(WireHeader.error)?.hasPrefix("webhook URL not allowed: the host must resolve to public addresses") == true)
                #expect(receiver.requests.isEmpty)
            }
        }
    }

    @Test("a tenant without a webhook: dead-lettered at once with the reason")
    func noWebhook() async throws {
        let fixture = try await WebhookWorkerFixture()
        try await fixture.run {
            let event = try await fixture.publishDelivery(tenant: WebhookWorkerFixture.plainTenant)
            let dead = try await fixture.deadLetters(count: 1)
            let letter = try #require(dead.first)
            #expect(letter.properties.messageID == "\(event.id):webhook")
            #expect(letter.header(WireHeader.deadLetterReason) == DeadLetterReason.permanentFailure.rawValue)
            #expect(letter.header(WireHeader.error)?.contains("no webhook") == true, "\(letter.header(WireHeader.error) ?? "-")")
        }
    }

    @Test("a receiver that never answers times out (MEMGRID_WEBHOOK_TIMEOUT_MS) and the retry delivers")
    func timeoutIsRetried() async throws {
        let receiver = WebhookReceiver { _, earlier in earlier == 0 ? .hang : .status(204) }
        let fixture = try await WebhookWorkerFixture(environment: [
            "MEMGRID_WEBHOOK_TIMEOUT_MS": "300", "MEMGRID_RETRY_MAX_ATTEMPTS": "10",
        ])
        try await receiver.run {
            try await fixture.run {
                try await fixture.setWebhook(url: receiver.url)
                let event = try await fixture.publishDelivery()
                let delivered = await TestBroker.eventually(timeout: .seconds(60)) {
                    receiver.requests(for: event.id).contains { $0.answered == 204 }
                }
                #expect(delivered)
                let requests = receiver.requests(for: event.id)
                #expect(requests.first?.answered == nil, "the first request hung")
                #expect(requests.count >= 2)
            }
        }
    }

    @Test("a due reminder of a tenant with a webhook is fired and delivered, signed")
    func firedReminderReachesTheWebhook() async throws {
        let receiver = WebhookReceiver { _, _ in .status(200) }
        let fixture = try await WebhookWorkerFixture()
        try await receiver.run {
            try await fixture.run {
                let secret = try await fixture.setWebhook(url: receiver.url)
                let reminderID = "mem-\(UUID().uuidString):reminder"
                _ = try await fixture.database.withClient(url: fixture.database.url) { client in
                    try await ReminderRepository(client: client).schedule([
                        .init(
                            id: reminderID, tenantID: WebhookWorkerFixture.hookedTenant, userID: "u-9", memoryID: nil,
                            text: "Call the bank", dueAt: Date().addingTimeInterval(-1), eventAt: nil),
                    ], logger: fixture.logger)
                }
                let eventID = "\(reminderID):proactive.reminder"
                let arrived = await TestBroker.eventually(timeout: .seconds(60)) { !receiver.requests(for: eventID).isEmpty }
                #expect(arrived)
                let request = try #require(receiver.requests(for: eventID).first)
                #expect(WebhookReceiver.signatureIsValid(request, secret: secret))
                #expect(request.event["type"] as? String == "proactive.reminder")
                #expect((request.event["payload"] as? [String: Any])?["reminder_id"] as? String == reminderID)
                #expect((request.event["payload"] as? [String: Any])?["text"] as? String == "Call the bank")
            }
        }
    }

    /// Change events go out through the outbox relay; a webhook subscribed to
    /// `memory.deleted` only gets that one (not the edit before it, not reminders).
    @Test("a webhook subscribed to memory.deleted receives only memory.deleted events")
    func subscriptionsChooseTheEvents() async throws {
        let receiver = WebhookReceiver { _, _ in .status(200) }
        let fixture = try await WebhookWorkerFixture()
        try await receiver.run {
            try await fixture.run {
                let tenant = WebhookWorkerFixture.hookedTenant
                try await fixture.setWebhook(url: receiver.url, events: ["memory.deleted"])
                let id = try await fixture.database.withClient(url: fixture.database.url) { client in
                    let memories = MemoryRepository(client: client)
                    let item = try await client.withTransaction(logger: fixture.logger) { connection in
                        try await memories.record(
                            [.init(type: "profile", text: "Likes tea", contentHash: "h-tea", categories: ["food"], happenedAt: nil,
                                   validFrom: Date())],
                            tenantID: tenant, userID: "u-5", agentID: nil, resourceID: nil, source: "job-5", origin: .job("job-5"),
                            on: connection, logger: fixture.logger
                        ).items[0]
                    }
                    _ = try await memories.update(
                        id: item.id, tenantID: tenant, edit: .init(metadata: ["source": .string("crm")]), origin: .request("req-1"),
                        logger: fixture.logger)
                    _ = try await memories.delete(id: item.id, tenantID: tenant, origin: .request("req-2"), logger: fixture.logger)
                    try await ReminderRepository(client: client).schedule([
                        .init(
                            id: "rem-\(UUID().uuidString)", tenantID: tenant, userID: "u-5", memoryID: nil, text: "Call the bank",
                            dueAt: Date().addingTimeInterval(-1), eventAt: nil),
                    ], logger: fixture.logger)
                    return item.id
                }
                let eventID = "\(id):memory.deleted"
                #expect(await TestBroker.eventually(timeout: .seconds(60)) { !receiver.requests(for: eventID).isEmpty })
                let delivered = try #require(receiver.requests(for: eventID).first)
                #expect(delivered.headers["x-memgrid-event-type"] == "memory.deleted")
                #expect((delivered.event["payload"] as? [String: Any])?["reason"] as? String == "deleted")
                // The edit's event and the reminder were published too, but not delivered here.
                try await Task.sleep(for: .milliseconds(500))
                #expect(receiver.requests.map { $0.event["type"] as? String } == ["memory.deleted"])
            }
        }
    }
}
