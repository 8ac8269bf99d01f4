import Contracts
import Foundation
import Logging
import Messaging
import Storage
import Testing
import TestSupport

/// `/v1/admin/dead-letters` on a gateway without workers: dead letters are put into the
/// DLQs straight, as `JobWorker` dead-letters, and the gateway's recorder takes them into
/// PostgreSQL; replays stay in the work queues.
@Suite(.serialized)
struct DeadLetterAPITests {
    /// Two tenants' dead letters and one without a tenant, in the fixture's DLQs.
    struct Seeded {
        let fixture: GatewayFixture
        let publisher: Publisher
        var topology: Topology { Topology(prefix: fixture.prefix) }

        init(_ fixture: GatewayFixture) {
            self.fixture = fixture
            publisher = Publisher(configuration: TestBroker.configuration, logger: fixture.logger)
            publisher.start()
        }

        func seed(
            id: String, tenant: String?, type: JobType, reason: String, age: TimeInterval, extra: [String: HeaderValue] = [:],
            times: Int = 1
        ) async throws {
            var headers: [String: HeaderValue] = extra.merging([
                WireHeader.deadLetterReason: .string(reason), WireHeader.error: .string("it failed"),
                WireHeader.originalExchange: .string(topology.jobsExchange), WireHeader.originalRoutingKey: .string(type.kind),
                WireHeader.attempt: .int(5), WireHeader.deadLetteredAt: .string(WireJSON.format(Date() - age)),
            ]) { _, ours in ours }
            let body: Data
            if let tenant {
                headers[WireHeader.tenant] = .string(tenant)
                body = try WireJSON.encoder().encode(JobEnvelope(id: id, type: type, tenantID: tenant, payload: ["n": 1]))
            } else {
                body = Data("{not json".utf8)
            }
            let message = OutgoingMessage(
                exchange: "", routingKey: topology.deadLetterQueue(type.queue), body: body,
                properties: MessageProperties(messageID: id, type: type.description, headers: headers))
            try await publisher.publish(Array(repeating: message, count: times))
        }

        func seedAll() async throws {
            try await seed(id: "a-llm", tenant: "dl-a", type: JobCatalog.memorize, reason: "attempts_exhausted", age: 7200)
            try await seed(id: "a-embed", tenant: "dl-a", type: JobCatalog.embed, reason: "invalid", age: 60)
            try await seed(id: "b-llm", tenant: "dl-b", type: JobCatalog.memorize, reason: "attempts_exhausted", age: 60)
            try await seed(id: "b-embed", tenant: "dl-b", type: JobCatalog.embed, reason: "invalid", age: 60)
            try await seed(id: "nobody", tenant: nil, type: JobCatalog.memorize, reason: "malformed", age: 60)
        }

        /// Every recorded dead letter, whoever's, as an operator sees them.
        func all() async throws -> Set<String> {
            try await fixture.database.withClient(url: fixture.database.url) { client in
                try await DeadLetterRepository(client: client).list(.init(), limit: 1000, logger: fixture.logger)
            }.reduce(into: []) { ids, row in row.messageID.map { _ = ids.insert($0) } }
        }

        /// Waits until the recorder took `ids` into PostgreSQL.
        func recorded(_ ids: Set<String>) async throws {
            let done = await TestBroker.eventually { (try? await all().isSuperset(of: ids)) ?? false }
            if !done { throw TestFailure("dead letters never recorded: \(try await all())") }
        }

        func close() async { await publisher.close() }
    }

    /// A gateway without workers, the five dead letters of `seedAll`, and an admin key of
    /// each seeded tenant.
    static func seededGateway() async throws -> (GatewayFixture, Seeded, adminA: String, adminB: String) {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let seeded = Seeded(fixture)
        try await seeded.seedAll()
        try await seeded.recorded(["a-llm", "a-embed", "b-llm", "b-embed", "nobody"])
        return (fixture, seeded, try await fixture.key(tenant: "dl-a", scopes: ["admin"]), try await fixture.key(tenant: "dl-b", scopes: ["admin"]))
    }

    static func ids(_ reply: GatewayFixture.Reply) -> [String] { reply.data.compactMap { $0["message_id"] as? String } }
    static func param(_ reply: GatewayFixture.Reply) -> String? { (reply.json["error"] as? [String: Any])?["param"] as? String }

    @Test func listingAndShowingNeedAnAdminKeyAndSeeOnlyTheKeysTenant() async throws {
        let (fixture, seeded, adminA, adminB) = try await Self.seededGateway()
        let plainA = try await fixture.key(tenant: "dl-a")

        for (method, path) in [
            ("GET", "/v1/admin/dead-letters"), ("GET", "/v1/admin/dead-letters/a-llm"),
            ("POST", "/v1/admin/dead-letters/replay"), ("POST", "/v1/admin/dead-letters/purge"),
        ] {
            let denied = try await fixture.request(method, path, key: plainA, json: method == "POST" ? ["all": true] : nil)
            #expect(denied.status == 403 && denied.errorCode == "insufficient_scope", "\(method) \(path)")
        }

        let listA = try await fixture.request("GET", "/v1/admin/dead-letters", key: adminA)
        #expect(listA.status == 200)
        #expect(listA.json["object"] as? String == "list" && listA.json["has_more"] as? Bool == false)
        #expect(Self.ids(listA) == ["a-llm", "a-embed"], "oldest first")
        let entry = try #require(listA.data.first)
        #expect(entry["object"] as? String == "dead_letter")
        #expect(entry["queue"] as? String == "llm" && entry["dead_letter_queue"] as? String == "\(fixture.prefix).llm.dlq")
        #expect(entry["type"] as? String == "memorize.v1" && entry["tenant_id"] as? String == "dl-a")
        #expect(entry["reason"] as? String == "attempts_exhausted" && entry["error"] as? String == "it failed")
        #expect(entry["original_exchange"] as? String == "\(fixture.prefix).jobs" && entry["original_routing_key"] as? String == "memorize")
        #expect(entry["attempt"] as? Int == 5 && entry["replays"] as? Int == 0)
        #expect((entry["body_bytes"] as? Int ?? 0) > 0 && entry["body"] == nil)
        #expect(entry["dead_lettered_at"] is String)
        #expect(Set(Self.ids(try await fixture.request("GET", "/v1/admin/dead-letters", key: adminB))) == ["b-embed", "b-llm"])

        for (query, expected) in [
            ("queue=llm", ["a-llm"]), ("reason=invalid", ["a-embed"]), ("older_than=3600", ["a-llm"]),
            ("newer_than=600", ["a-embed"]), ("older_than=30&newer_than=600", ["a-embed"]), ("tenant=dl-a&queue=embed", ["a-embed"]),
            ("queue=proactive", []),
        ] {
            let reply = try await fixture.request("GET", "/v1/admin/dead-letters?\(query)", key: adminA)
            #expect(reply.status == 200 && Self.ids(reply) == expected, "\(query)")
        }
        let limited = try await fixture.request("GET", "/v1/admin/dead-letters?limit=1", key: adminA)
        #expect(Self.ids(limited) == ["a-llm"] && limited.json["has_more"] as? Bool == true)

        for (query, param) in [
            ("queue=nope", "queue"), ("reason=broken", "reason"), ("older_than=abc", "older_than"), ("older_than=0", "older_than"),
            ("newer_than=-5", "newer_than"), ("limit=0", "limit"), ("limit=1001", "limit"), ("tenant=dl-b", "tenant"),
            ("older_than=600&newer_than=60", "older_than"),
        ] {
            let bad = try await fixture.request("GET", "/v1/admin/dead-letters?\(query)", key: adminA)
            #expect(bad.status == 400 && bad.errorCode == "invalid_value" && Self.param(bad) == param, "\(query)")
        }

        let shown = try await fixture.request("GET", "/v1/admin/dead-letters/a-llm", key: adminA)
        #expect(shown.status == 200)
        #expect(shown.json["message_id"] as? String == "a-llm")
        let body = try #require((shown.json["body"] as? String).flatMap { Data($0.utf8) })
        let envelope = try WireJSON.decoder().decode(JobEnvelope<[String: Int]>.self, from: body)
        #expect(envelope.id == "a-llm" && envelope.tenantID == "dl-a")
        // Another tenant's dead letter, one without a tenant, and an unknown id look alike.
        for id in ["b-llm", "nobody", "never-was"] {
            let missing = try await fixture.request("GET", "/v1/admin/dead-letters/\(id)", key: adminA)
            #expect(missing.status == 404 && missing.errorCode == "dead_letter_not_found", "\(id)")
        }
        #expect(try await seeded.all() == ["a-embed", "b-embed", "a-llm", "b-llm", "nobody"], "browsing changed nothing")

        // The operator scope (never a tenant's own to grant) sees every tenant's, and those without one.
        let operatorKey = try await fixture.key(tenant: "dl-ops", scopes: ["admin", "operator"])
        let everyone = try await fixture.request("GET", "/v1/admin/dead-letters", key: operatorKey)
        #expect(Set(Self.ids(everyone)) == ["a-embed", "b-embed", "a-llm", "b-llm", "nobody"])
        #expect(Set(Self.ids(try await fixture.request("GET", "/v1/admin/dead-letters?tenant=dl-b", key: operatorKey))) == ["b-embed", "b-llm"])
        #expect(try await fixture.request("GET", "/v1/admin/dead-letters/nobody", key: operatorKey).status == 200)
        await seeded.close()
        await fixture.stop()
    }

    /// Another publisher's replay count at Int64.max must not trap the gateway: it saturates.
    @Test func aReplayCountAtItsMaximumSaturates() async throws {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let seeded = Seeded(fixture)
        try await seeded.seed(
            id: "max-replays", tenant: "dl-max", type: JobCatalog.memorize, reason: "attempts_exhausted", age: 60,
            extra: [WireHeader.replays: .int(.max)])
        try await seeded.recorded(["max-replays"])
        let admin = try await fixture.key(tenant: "dl-max", scopes: ["admin"])
        let replayed = try await fixture.request("POST", "/v1/admin/dead-letters/replay", key: admin, json: ["all": true])
        #expect(replayed.status == 200 && replayed.json["replayed"] as? Int == 1, "\(replayed.json)")
        let llm = Topology(prefix: fixture.prefix).workQueue(.llm)
        var delivered: [Delivery] = []
        _ = await TestBroker.eventually {
            delivered += (try? await TestBroker.admin.drain(llm, limit: 10)) ?? []
            return !delivered.isEmpty
        }
        #expect(delivered.first?.properties.headers[WireHeader.replays] == .int(.max))
        await seeded.close()
        await fixture.stop()
    }

    @Test func replayAndPurgeActOnlyOnTheKeysTenant() async throws {
        let (fixture, seeded, adminA, adminB) = try await Self.seededGateway()
        let jobs = { @Sendable (body: @Sendable (JobRepository) async throws -> Void) in
            try await fixture.database.withClient(url: fixture.database.url) { client in try await body(JobRepository(client: client)) }
        }
        try await jobs { repository in
            try await repository.insert(id: "a-llm", tenantID: "dl-a", type: "memorize.v1", logger: fixture.logger)
            try await repository.markDeadLettered(id: "a-llm", attempt: 5, error: "attempts_exhausted: it failed", logger: fixture.logger)
        }

        for (body, param, code) in [
            ([:], "all", "missing_parameter"), (["all": false], "all", "missing_parameter"),
            (["queue": "llm", "colour": "red"], "colour", "unknown_parameter"), (["message_ids": []], "message_ids", "invalid_value"),
            (["all": true, "limit": 0], "limit", "invalid_value"), (["queue": "nope"], "queue", "invalid_value"),
            (["reason": "broken"], "reason", "invalid_value"), (["older_than": 0], "older_than", "invalid_value"),
            (["queue": "llm", "tenant": "dl-b"], "tenant", "invalid_value"), (["older_than": "1h"], "older_than", "invalid_type"),
        ] as [([String: Any], String, String)] {
            let bad = try await fixture.request("POST", "/v1/admin/dead-letters/replay", key: adminA, json: body)
            #expect(bad.status == 400 && bad.errorCode == code && Self.param(bad) == param, "\(body)")
        }

        // B's ids in A's request: nothing of B's moves.
        let foreign = try await fixture.request("POST", "/v1/admin/dead-letters/replay", key: adminA, json: ["message_ids": ["b-llm", "nobody"]])
        #expect(foreign.status == 200 && foreign.json["replayed"] as? Int == 0)

        let replayed = try await fixture.request("POST", "/v1/admin/dead-letters/replay", key: adminA, json: ["queue": "llm"])
        #expect(replayed.status == 200)
        #expect(replayed.json["object"] as? String == "dead_letter.replay")
        #expect(replayed.json["replayed"] as? Int == 1 && replayed.json["failed"] as? Int == 0)
        #expect(replayed.json["message_ids"] as? [String] == ["a-llm"])
        #expect((replayed.json["failures"] as? [Any])?.isEmpty == true)
        let llm = Topology(prefix: fixture.prefix).workQueue(.llm)
        #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(llm).messages == 1 })
        let job = try await fixture.request("GET", "/v1/jobs/a-llm", key: adminA)
        #expect(job.json["status"] as? String == "queued", "the job's status follows the replay")
        #expect(try await seeded.all() == ["a-embed", "b-embed", "b-llm", "nobody"])

        let purgeBad = try await fixture.request("POST", "/v1/admin/dead-letters/purge", key: adminB, json: [:])
        #expect(purgeBad.status == 400 && Self.param(purgeBad) == "all")
        let purged = try await fixture.request("POST", "/v1/admin/dead-letters/purge", key: adminB, json: ["all": true])
        #expect(purged.status == 200)
        #expect(purged.json["object"] as? String == "dead_letter.purge" && purged.json["purged"] as? Int == 2)
        #expect(Set(purged.json["message_ids"] as? [String] ?? []) == ["b-embed", "b-llm"])
        #expect(try await seeded.all() == ["a-embed", "nobody"], "A's and the tenantless one stay")

        let purgedByReason = try await fixture.request(
            "POST", "/v1/admin/dead-letters/purge", key: adminA, json: ["reason": "invalid", "older_than": 30])
        #expect(purgedByReason.json["message_ids"] as? [String] == ["a-embed"])
        #expect(try await seeded.all() == ["nobody"])
        await seeded.close()
        await fixture.stop()
    }
    /// Dead letters are browsed in PostgreSQL, not by rewriting queues under one broker-wide
    /// lock: tenant A listing in a loop leaves tenant B's listings answered (before, they
    /// queued behind A's and timed out as 503 dead_letters_busy). The recorder empties the
    /// DLQs and records a message delivered twice once.
    @Test func oneTenantLoopingOnDeadLettersDoesNotLockOutAnother() async throws {
        let (fixture, seeded, adminA, adminB) = try await Self.seededGateway()
        for queue in JobQueue.all {
            let dlq = Topology(prefix: fixture.prefix).deadLetterQueue(queue)
            #expect(try await TestBroker.eventually { try await TestBroker.admin.queueDepth(dlq).messages == 0 }, "\(dlq)")
        }
        try await seeded.seed(id: "twice", tenant: "dl-b", type: JobCatalog.embed, reason: "invalid", age: 10, times: 2)
        try await seeded.recorded(["twice"])

        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    var seen: [Int] = []
                    for _ in 0..<15 { seen.append(try await fixture.request("GET", "/v1/admin/dead-letters?limit=1000", key: adminA).status) }
                    return seen
                }
            }
            var listingsOfB: [Int] = []
            for _ in 0..<15 { listingsOfB.append(try await fixture.request("GET", "/v1/admin/dead-letters", key: adminB).status) }
            for try await seen in group { #expect(seen.allSatisfy { $0 == 200 }) }
            return listingsOfB
        }
        #expect(statuses == Array(repeating: 200, count: 15))
        let listB = try await fixture.request("GET", "/v1/admin/dead-letters", key: adminB)
        #expect(Self.ids(listB).filter { $0 == "twice" }.count == 1)
        await seeded.close()
        await fixture.stop()
    }
    /// A tenant whose jobs all fail (a webhook answering 400) cannot fill the table for
    /// everyone: past its cap its oldest dead letters go; another tenant's stay.
    @Test func aTenantKeepsAtMostItsCapOfDeadLetters() async throws {
        let fixture = try await GatewayFixture(workers: false, overrides: ["MEMGRID_DEAD_LETTERS_PER_TENANT": "2"])
        try await fixture.waitUntilReady()
        let seeded = Seeded(fixture)
        try await seeded.seed(id: "other-1", tenant: "dl-calm", type: JobCatalog.embed, reason: "invalid", age: 900)
        try await seeded.recorded(["other-1"])
        for (index, age) in [600, 300, 60].enumerated() {
            try await seeded.seed(id: "noisy-\(index)", tenant: "dl-noisy", type: JobCatalog.embed, reason: "invalid", age: TimeInterval(age))
            try await seeded.recorded(["noisy-\(index)"])
        }
        let noisy = try await fixture.request("GET", "/v1/admin/dead-letters", key: try await fixture.key(tenant: "dl-noisy", scopes: ["admin"]))
        #expect(Self.ids(noisy) == ["noisy-1", "noisy-2"], "the oldest went")
        let calm = try await fixture.request("GET", "/v1/admin/dead-letters", key: try await fixture.key(tenant: "dl-calm", scopes: ["admin"]))
        #expect(Self.ids(calm) == ["other-1"])
        await seeded.close()
        await fixture.stop()
    }
}
