import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

struct Note: Codable, Sendable, Equatable {
    var n: Int
}

/// A fresh two-queue topology (`probe`, routed `probe` and subscribed to `memory.created`;
/// `side`, routed `side`) and helpers that put dead letters into its DLQs the ways they
/// get there in production.
final class DeadLetterFixture: Sendable {
    let declaration: TopologyDeclaration
    let publisher: Publisher
    let probe = JobQueue("probe")
    let side = JobQueue("side")

    var topology: Topology { declaration.topology }
    /// A new instance is a new "process": its passes do not wait for another's.
    var deadLetters: DeadLetterQueue { DeadLetterQueue(configuration: TestBroker.configuration, topology: topology, batchSize: 16) }

    private init() async throws {
        let topology = Topology(
            prefix: "test-\(UUID().uuidString.prefix(8).lowercased())", queues: [probe, side],
            routes: [probe: ["probe"], side: ["side"]], subscriptions: [probe: ["memory.created"]], retryLevels: 1)
        declaration = TopologyDeclaration(topology: topology)
        try await TestBroker.admin.declare(declaration)
        publisher = Publisher(configuration: TestBroker.configuration, logger: Logger(label: "test.dlq"))
        publisher.start()
    }

    static func with(_ body: (DeadLetterFixture) async throws -> Void) async throws {
        let fixture = try await DeadLetterFixture()
        do {
            try await body(fixture)
        } catch {
            await fixture.close()
            throw error
        }
        await fixture.close()
    }

    func close() async {
        await publisher.close()
        await TestBroker.tearDown(declaration, extraQueues: [tap])
    }

    /// A queue bound to the events exchange with `memory.created`: another subscriber.
    var tap: String { "\(topology.prefix).events-tap" }

    func body(id: String, kind: String = "probe", tenant: String = "t1", n: Int = 0) throws -> Data {
        try WireJSON.encoder().encode(JobEnvelope(
            id: id, type: JobType(kind: kind, version: 1, queue: probe), tenantID: tenant,
            createdAt: Date(timeIntervalSince1970: 1_780_000_000), payload: Note(n: n)))
    }

    /// The headers `JobWorker` gives a dead letter (plus one of an integration's own).
    func headers(
        tenant: String = "t1", reason: String = DeadLetterReason.permanentFailure.rawValue, error: String = "boom",
        attempt: Int = 1, at: Date = Date(), exchange: String? = nil, routingKey: String = "probe"
    ) -> [String: HeaderValue] {
        [
            WireHeader.tenant: .string(tenant), WireHeader.deadLetterReason: .string(reason), WireHeader.error: .string(error),
            WireHeader.originalExchange: .string(exchange ?? topology.jobsExchange),
            WireHeader.originalRoutingKey: .string(routingKey), WireHeader.attempt: .int(Int64(attempt)),
            WireHeader.deadLetteredAt: .string(WireJSON.format(at)), "x-custom": .string("kept"),
        ]
    }

    /// A message for `queue`'s DLQ, as `JobWorker` dead-letters.
    func deadLetter(
        id: String?, queue: JobQueue? = nil, body: Data, type: String? = "probe.v1", headers: [String: HeaderValue]
    ) -> OutgoingMessage {
        OutgoingMessage(
            exchange: "", routingKey: topology.deadLetterQueue(queue ?? probe), body: body,
            properties: MessageProperties(
                messageID: id, timestamp: Date(timeIntervalSince1970: 1_780_000_000), type: type, headers: headers))
    }

    /// Publishes straight into `queue`'s DLQ, as `JobWorker` dead-letters.
    func seed(
        id: String?, queue: JobQueue? = nil, body: Data, type: String? = "probe.v1", headers: [String: HeaderValue]
    ) async throws {
        try await publisher.publish(deadLetter(id: id, queue: queue, body: body, type: type, headers: headers))
    }

    /// A job dead letter with the usual headers.
    func job(
        _ id: String, queue: JobQueue? = nil, tenant: String = "t1", reason: DeadLetterReason = .permanentFailure,
        at: Date = Date(), n: Int = 0
    ) throws -> OutgoingMessage {
        let kind = (queue ?? probe) == side ? "side" : "probe"
        return deadLetter(
            id: id, queue: queue, body: try body(id: id, kind: kind, tenant: tenant, n: n), type: "\(kind).v1",
            headers: headers(tenant: tenant, reason: reason.rawValue, at: at, routingKey: kind))
    }

    func seedJob(
        _ id: String, queue: JobQueue? = nil, tenant: String = "t1", reason: DeadLetterReason = .permanentFailure,
        at: Date = Date(), n: Int = 0
    ) async throws {
        try await publisher.publish(try job(id, queue: queue, tenant: tenant, reason: reason, at: at, n: n))
    }

    /// A job the broker dead-letters itself: published, then rejected without requeue,
    /// so it reaches the DLQ through the dead-letter exchange with `x-death` only.
    func seedRejected(_ id: String, tenant: String = "t-broker") async throws {
        let dlq = topology.deadLetterQueue(probe)
        let before = try await depth(dlq)
        try await publisher.publish(OutgoingMessage(
            exchange: topology.jobsExchange, routingKey: "probe", body: try body(id: id, tenant: tenant),
            properties: MessageProperties(messageID: id, type: "probe.v1", headers: [WireHeader.tenant: .string(tenant)])))
        let consumer = Consumer(
            configuration: TestBroker.configuration, queue: topology.workQueue(probe), prefetch: 1, logger: Logger(label: "test.dlq"))
        consumer.start()
        var iterator = consumer.deliveries.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        consumer.reject(delivery, requeue: false)
        let arrived = try await TestBroker.eventually { try await self.depth(dlq) == before + 1 }
        await consumer.close()
        try #require(arrived)
    }

    func depth(_ queue: String) async throws -> Int {
        try await TestBroker.admin.queueDepth(queue).messages
    }
}

/// Serialized: several of these rewrite hundreds of messages, and the suites around them
/// time Redis commands in 100 ms on two cores.
@Suite("Dead-letter queues: list, replay, purge against the real broker", .serialized)
struct DeadLetterQueueTests {
    @Test("list reads every field of memgrid's, the broker's and malformed dead letters, in order")
    func listReadsEveryField() async throws {
        try await DeadLetterFixture.with { fixture in
            let at = try #require(WireJSON.parse("2026-01-02T03:04:05.678Z"))
            let jobBody = try fixture.body(id: "job-1", tenant: "acme")
            try await fixture.seed(
                id: "job-1", body: jobBody,
                headers: fixture.headers(tenant: "acme", reason: "attempts_exhausted", error: "provider 503", attempt: 5, at: at))
            try await fixture.seedRejected("job-2")
            try await fixture.seed(id: "bad-1", body: Data("not json".utf8), type: nil, headers: [WireHeader.deadLetterReason: .string("malformed")])
            try await fixture.seed(id: "bin-1", body: Data([0xff, 0xfe, 0x00]), type: "probe.v1", headers: [:])

            let report = try await fixture.deadLetters.list()
            #expect(report.scanned == 4)
            #expect(report.matched == 4)
            #expect(!report.hasMore)
            #expect(report.letters.map(\.messageID) == ["job-1", "job-2", "bad-1", "bin-1"])
            let dlq = fixture.topology.deadLetterQueue(fixture.probe)
            #expect(report.letters[0] == DeadLetter(
                queue: fixture.probe, deadLetterQueue: dlq, messageID: "job-1", type: "probe.v1", tenantID: "acme",
                reason: "attempts_exhausted", error: "provider 503", originalExchange: fixture.topology.jobsExchange,
                originalRoutingKey: "probe", attempt: 5, deadLetteredAt: at, replays: 0, bodyBytes: jobBody.count))

            // The broker's own dead letter: everything from x-death and the envelope.
            let rejected = report.letters[1]
            #expect(rejected.reason == "rejected")
            #expect(rejected.tenantID == "t-broker")
            #expect(rejected.type == "probe.v1")
            #expect(rejected.originalExchange == fixture.topology.jobsExchange)
            #expect(rejected.originalRoutingKey == "probe")
            #expect(rejected.error == nil && rejected.attempt == nil)
            let died = try #require(rejected.deadLetteredAt)
            #expect(abs(died.timeIntervalSinceNow) < 120)

            // A malformed body has no tenant: only an operator filter without tenant sees it.
            #expect(report.letters[2].tenantID == nil)
            #expect(report.letters[2].reason == "malformed")
            #expect(report.letters.allSatisfy { $0.body == nil })

            let withBodies = try await fixture.deadLetters.list(bodies: true)
            #expect(withBodies.letters.map(\.body) == [jobBody, try fixture.body(id: "job-2", tenant: "t-broker"), Data("not json".utf8), Data([0xff, 0xfe, 0x00])])

            let json = try WireJSON.encoder().encode(withBodies)
            let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let data = try #require(object["data"] as? [[String: Any]])
            #expect(object["object"] as? String == "list" && object["has_more"] as? Bool == false)
            #expect(data[0]["object"] as? String == "dead_letter")
            #expect(data[0]["queue"] as? String == "probe" && data[0]["dead_letter_queue"] as? String == dlq)
            #expect(data[0]["dead_lettered_at"] as? String == "2026-01-02T03:04:05.678Z")
            #expect(data[0]["body"] as? String == String(decoding: jobBody, as: UTF8.self))
            #expect(data[3]["body"] == nil && data[3]["body_base64"] as? String == Data([0xff, 0xfe, 0x00]).base64EncodedString())
            #expect(data[2]["tenant_id"] == nil, "absent fields are omitted")
        }
    }

    @Test("filters: queue, reason, tenant, age window, message ids and limit")
    func filters() async throws {
        try await DeadLetterFixture.with { fixture in
            let now = Date()
            try await fixture.seedJob("old-a", tenant: "a", reason: .invalid, at: now - 7200)
            try await fixture.seedJob("mid-b", tenant: "b", reason: .attemptsExhausted, at: now - 600)
            try await fixture.seedJob("new-a", tenant: "a", reason: .attemptsExhausted, at: now - 5)
            try await fixture.seedJob("side-a", queue: fixture.side, tenant: "a", reason: .invalid, at: now - 600)
            try await fixture.seed(id: "timeless", body: try fixture.body(id: "timeless", tenant: "a"), headers: [:])
            let dlq = fixture.deadLetters

            func ids(
                queues: [JobQueue]? = nil, _ filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil
            ) async throws -> [String] {
                try await dlq.list(queues: queues, filter: filter, limit: limit).letters.compactMap(\.messageID)
            }
            #expect(try await ids() == ["old-a", "mid-b", "new-a", "timeless", "side-a"])
            #expect(try await ids(queues: [fixture.side]) == ["side-a"])
            #expect(try await ids(DeadLetterFilter(reasons: ["invalid"])) == ["old-a", "side-a"])
            #expect(try await ids(DeadLetterFilter(reasons: ["invalid", "attempts_exhausted"])).count == 4)
            #expect(try await ids(DeadLetterFilter(tenantID: "a")) == ["old-a", "new-a", "timeless", "side-a"])
            #expect(try await ids(DeadLetterFilter(olderThan: .seconds(3600))) == ["old-a"])
            #expect(try await ids(DeadLetterFilter(newerThan: .seconds(60))) == ["new-a"])
            #expect(try await ids(DeadLetterFilter(olderThan: .seconds(60), newerThan: .seconds(3600))) == ["mid-b", "side-a"])
            #expect(try await ids(DeadLetterFilter(messageIDs: ["new-a", "side-a", "nope"])) == ["new-a", "side-a"])
            #expect(try await ids(DeadLetterFilter(reasons: ["invalid"], tenantID: "a"), limit: 1) == ["old-a"])

            let limited = try await dlq.list(filter: DeadLetterFilter(tenantID: "a"), limit: 2)
            #expect(limited.letters.count == 2 && limited.matched == 4 && limited.hasMore)
            #expect(limited.scanned == 5)
        }
    }

    @Test("browsing a DLQ many times loses nothing and changes nothing, even under a delivery limit that drops peeked messages")
    func browsingOftenLosesNothing() async throws {
        try await DeadLetterFixture.with { fixture in
            // RabbitMQ 4 gives every quorum queue a delivery limit of 20 and counts each
            // return (nack, closed channel) against it; with no dead-letter target the
            // message is dropped. This DLQ gets a limit of 1, to show it sooner.
            let dlq = fixture.topology.deadLetterQueue(fixture.probe)
            try await TestBroker.admin.deleteQueues([dlq])
            try await TestBroker.admin.declareQueue(dlq, arguments: ["x-queue-type": .string("quorum"), "x-delivery-limit": .int(1)])
            try await TestBroker.admin.bind(dlq, to: fixture.topology.deadLetterExchange, routingKey: fixture.topology.workQueue(fixture.probe))
            var seeded: [(id: String, body: Data, headers: [String: HeaderValue])] = []
            for index in 0..<30 {
                let id = "keep-\(index)"
                let body = try fixture.body(id: id, n: index)
                let headers = fixture.headers(reason: index.isMultiple(of: 2) ? "invalid" : "attempts_exhausted", at: Date() - Double(index))
                seeded.append((id, body, headers))
            }
            try await fixture.publisher.publish(seeded.map { fixture.deadLetter(id: $0.id, body: $0.body, headers: $0.headers) })
            try await fixture.seedRejected("keep-broker")
            let ids = seeded.map(\.id) + ["keep-broker"]


            let first = try await fixture.deadLetters.list()
            // One more than RabbitMQ 4's default delivery limit.
            for pass in 1...21 {
                let report = try await fixture.deadLetters.list()
                #expect(report.letters.compactMap(\.messageID) == ids, "pass \(pass)")
                #expect(report.letters == first.letters, "pass \(pass): every field as before")
            }
            #expect(try await fixture.depth(dlq) == 31)
            // x-death survived the rewrites: the broker's dead letter still says why it died.
            #expect(first.letters.last?.reason == "rejected")
            #expect(first.letters.last?.deadLetteredAt != nil)

            // Byte for byte: bodies, properties and headers (plus the pass marker) unchanged.
            let drained = try await TestBroker.admin.drain(dlq, limit: 100)
            #expect(drained.count == 31)
            for (message, original) in zip(drained, seeded) {
                #expect(message.properties.messageID == original.id)
                #expect(message.body == original.body)
                #expect(message.properties.type == "probe.v1")
                #expect(message.properties.timestamp == Date(timeIntervalSince1970: 1_780_000_000))
                #expect(message.properties.persistent)
                var headers = message.properties.headers
                #expect(headers.removeValue(forKey: WireHeader.deadLetterPass) != nil)
                // Added by the queue to this very delivery, since it has a delivery limit.
                headers["x-delivery-count"] = nil
                #expect(headers == original.headers)
            }

            // The control: peeking (consume, then close without acking) under the same
            // policy loses dead letters. This is what the rotation avoids.
            try await fixture.publisher.publish(seeded.enumerated().map { index, original in
                fixture.deadLetter(id: "peek-\(index)", body: original.body, headers: original.headers)
            })
            for _ in 0..<3 { try await Self.peek(dlq, expecting: 30) }
            #expect(try await fixture.depth(dlq) < 30)
        }
    }

    /// Receives up to `count` messages of `queue` (waiting at most 3 s) without acking
    /// them, then closes the connection, which hands them back.
    static func peek(_ queue: String, expecting count: Int) async throws {
        let consumer = Consumer(configuration: TestBroker.configuration, queue: queue, prefetch: 100, logger: Logger(label: "test.peek"))
        consumer.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var seen = 0
                for await _ in consumer.deliveries {
                    seen += 1
                    if seen == count { return }
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(3)) }
            await group.next()
            group.cancelAll()
        }
        await consumer.close()
    }

    @Test("replay sends jobs back through the jobs exchange and events straight to their work queue, same id and body, reset attempt")
    func replay() async throws {
        try await DeadLetterFixture.with { fixture in
            try await TestBroker.admin.declareQueue(fixture.tap)
            try await TestBroker.admin.bind(fixture.tap, to: fixture.topology.eventsExchange, routingKey: "memory.created")
            let jobBody = try fixture.body(id: "r-job", tenant: "acme")
            try await fixture.seed(id: "r-job", body: jobBody, headers: fixture.headers(tenant: "acme", reason: "attempts_exhausted", attempt: 5))
            let eventBody = Data(#"{"id":"r-event","type":"memory.created","version":1,"tenant_id":"acme","payload":{}}"#.utf8)
            try await fixture.seed(
                id: "r-event", body: eventBody, type: "memory.created.v1",
                headers: fixture.headers(tenant: "acme", exchange: fixture.topology.eventsExchange, routingKey: "memory.created"))
            try await fixture.seedRejected("r-broker", tenant: "acme")
            let dlq = fixture.topology.deadLetterQueue(fixture.probe)
            let work = fixture.topology.workQueue(fixture.probe)

            let report = try await fixture.deadLetters.replay(filter: DeadLetterFilter(tenantID: "acme"))
            #expect(report.letters.compactMap(\.messageID) == ["r-job", "r-event", "r-broker"])
            #expect(report.failures.isEmpty)
            #expect(try await fixture.depth(dlq) == 0)
            #expect(try await fixture.depth(fixture.tap) == 0, "an event replay must not reach the other subscribers")
            #expect(try await TestBroker.eventually { try await fixture.depth(work) == 3 })

            let replayed = try await TestBroker.admin.drain(work, limit: 10).map { delivery in
                var delivery = delivery
                delivery.properties.headers["x-delivery-count"] = nil  // the work queue's, on this delivery
                return delivery
            }
            let byID = Dictionary(uniqueKeysWithValues: replayed.map { ($0.properties.messageID ?? "", $0) })
            let job = try #require(byID["r-job"])
            #expect(job.body == jobBody)
            #expect(job.exchange == fixture.topology.jobsExchange && job.routingKey == "probe")
            #expect(job.properties.type == "probe.v1")
            #expect(job.properties.headers == [
                WireHeader.tenant: .string("acme"), WireHeader.originalExchange: .string(fixture.topology.jobsExchange),
                WireHeader.originalRoutingKey: .string("probe"), WireHeader.replays: .int(1), "x-custom": .string("kept"),
            ])
            let event = try #require(byID["r-event"])
            #expect(event.body == eventBody)
            #expect(event.exchange == "" && event.routingKey == work)
            #expect(event.properties.headers[WireHeader.originalExchange] == .string(fixture.topology.eventsExchange))
            let broker = try #require(byID["r-broker"])
            #expect(broker.exchange == fixture.topology.jobsExchange && broker.routingKey == "probe")
            #expect(broker.properties.headers[WireHeader.replays] == .int(1))
            #expect(broker.properties.headers.keys.allSatisfy { !$0.hasPrefix("x-first-death") && !$0.hasPrefix("x-last-death") })

            let again = try await fixture.deadLetters.replay(filter: DeadLetterFilter(tenantID: "acme"))
            #expect(again.letters.isEmpty && again.failures.isEmpty && again.scanned == 0)
        }
    }

    @Test("a replay that cannot be published stays in the DLQ, unchanged; limit caps replays")
    func failedReplayStays() async throws {
        try await DeadLetterFixture.with { fixture in
            let dlq = fixture.topology.deadLetterQueue(fixture.probe)
            try await fixture.seedJob("ok-1")
            try await fixture.seed(
                id: "ghost-1", body: try fixture.body(id: "ghost-1", kind: "ghost"), type: "ghost.v1",
                headers: fixture.headers(reason: "unknown_type", routingKey: "ghost"))
            try await fixture.seedJob("ok-2")
            try await fixture.seedJob("ok-3")
            let before = try await fixture.deadLetters.list()

            let report = try await fixture.deadLetters.replay(limit: 3)
            #expect(report.letters.compactMap(\.messageID) == ["ok-1", "ok-2"])
            #expect(report.failures.map(\.letter.messageID) == ["ghost-1"])
            #expect(report.failures.first?.error.contains("no queue bound") == true)
            #expect(report.hasMore)

            let after = try await fixture.deadLetters.list()
            #expect(after.letters.compactMap(\.messageID) == ["ghost-1", "ok-3"])
            #expect(after.letters.first == before.letters[1], "the failed replay left it as it was, in its place")
            #expect(try await fixture.depth(dlq) == 2)

            let json = try JSONSerialization.jsonObject(with: try WireJSON.encoder().encode(report)) as? [String: Any]
            #expect(json?["object"] as? String == "dead_letter.replay")
            #expect(json?["replayed"] as? Int == 2 && json?["failed"] as? Int == 1)
            #expect(json?["message_ids"] as? [String] == ["ok-1", "ok-2"])
            #expect((json?["failures"] as? [[String: Any]])?.first?["message_id"] as? String == "ghost-1")
        }
    }

    @Test("purge removes the matching dead letters and leaves the others intact and in order")
    func purgeByFilter() async throws {
        try await DeadLetterFixture.with { fixture in
            for index in 0..<6 {
                try await fixture.seedJob("p-\(index)", reason: index.isMultiple(of: 2) ? .invalid : .attemptsExhausted, n: index)
            }
            let before = try await fixture.deadLetters.list(bodies: true)

            let purged = try await fixture.deadLetters.purge(filter: DeadLetterFilter(reasons: ["invalid"]))
            #expect(purged.letters.compactMap(\.messageID) == ["p-0", "p-2", "p-4"])
            let rest = try await fixture.deadLetters.list(bodies: true)
            #expect(rest.letters == before.letters.filter { $0.reason != "invalid" })

            let one = try await fixture.deadLetters.purge(limit: 1)
            #expect(one.letters.compactMap(\.messageID) == ["p-1"])
            let byID = try await fixture.deadLetters.purge(filter: DeadLetterFilter(messageIDs: ["p-5"]))
            #expect(byID.letters.compactMap(\.messageID) == ["p-5"])
            #expect(try await fixture.deadLetters.list().letters.compactMap(\.messageID) == ["p-3"])

            let json = try JSONSerialization.jsonObject(with: try WireJSON.encoder().encode(purged)) as? [String: Any]
            #expect(json?["object"] as? String == "dead_letter.purge" && json?["purged"] as? Int == 3)
        }
    }

    @Test("operations of several processes at once take turns: each sees whole queues, nothing is lost or duplicated")
    func concurrentOperations() async throws {
        try await DeadLetterFixture.with { fixture in
            let count = 160
            try await fixture.publisher.publish((0..<count).map { index in
                try fixture.job("c-\(index)", reason: index < 20 ? .invalid : .attemptsExhausted)
            })
            // Each `deadLetters` is a new instance, as in another process.
            async let listA = fixture.deadLetters.list()
            async let listB = fixture.deadLetters.list()
            async let purge = fixture.deadLetters.purge(filter: DeadLetterFilter(reasons: ["invalid"]))
            let (a, b, purged) = try await (listA, listB, purge)
            let all = (0..<count).map { "c-\($0)" }
            #expect(purged.letters.compactMap(\.messageID) == Array(all.prefix(20)))
            for list in [a, b] {
                let ids = list.letters.compactMap(\.messageID)
                #expect(ids == all || ids == Array(all.dropFirst(20)), "a whole queue, before or after the purge")
            }
            #expect(try await fixture.deadLetters.list().letters.compactMap(\.messageID) == Array(all.dropFirst(20)))
        }
    }

    @Test("an operation waits for the one holding the lock, then gives up with resource_locked")
    func lockTimeout() async throws {
        try await DeadLetterFixture.with { fixture in
            try await fixture.seedJob("l-1")
            // Another process's operation, as the broker sees it: the lock queue, exclusively held.
            let holder = Consumer(
                configuration: TestBroker.configuration, queue: fixture.topology.deadLetterLock, prefetch: 1, exclusive: true,
                logger: Logger(label: "test.lock"))
            holder.start()
            #expect(await TestBroker.eventually { holder.status.isConnected })
            var waiting = fixture.deadLetters
            waiting.lockTimeout = .milliseconds(600)
            let start = ContinuousClock.now
            let error = await #expect(throws: BrokerError.self) { try await waiting.list() }
            #expect(error?.code == .resourceLocked)
            #expect(ContinuousClock.now - start >= .milliseconds(600), "it waited the whole timeout")
            await holder.close()
            #expect(try await waiting.list().letters.compactMap(\.messageID) == ["l-1"])
        }
    }
}
