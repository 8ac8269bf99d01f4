import Cache
import CoreMetrics
import Contracts
import Foundation
import Messaging
import NIOHTTP1
import PostgresNIO
import Storage
import Testing
import TestSupport

/// Memories that change, end to end on the shared system (offline extractor): a newer
/// fact supersedes an older one with history, direct adds with metadata, change events,
/// and erasure of a user.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct ChangingMemoryTests {
    static func memorize(_ text: String, user: String, at time: String, key: String, on fixture: GatewayFixture) async throws
        -> [String: Any]
    {
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key,
            json: ["user_id": user, "occurred_at": time, "messages": [["role": "user", "content": text]]])
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        let job = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)
        return job["result"] as? [String: Any] ?? [:]
    }

    static func texts(_ reply: GatewayFixture.Reply) -> [String] {
        reply.data.compactMap { $0["text"] as? String }
    }

    @Test func aMoveSupersedesWhereTheUserLivedAndHistoryShowsBothSteps() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "move-tenant")
        let lisbon = try #require(
            (try await Self.memorize("I live in Lisbon.", user: "ana", at: "2026-01-10T10:00:00Z", key: key, on: fixture)["created"]
                as? [String])?.first)
        let moved = try await Self.memorize("I moved to Berlin.", user: "ana", at: "2026-06-01T10:00:00Z", key: key, on: fixture)
        #expect(moved["superseded"] as? [String] == [lisbon])
        let berlin = try #require((moved["created"] as? [String])?.first)

        func retrieve(_ filters: [String: Any] = [:]) async throws -> [String] {
            Self.texts(try await fixture.request(
                "POST", "/v1/retrieve", key: key,
                json: ["user_id": "ana", "query": "where does she live", "include": ["memories"], "filters": filters]))
        }
        #expect(try await retrieve() == ["Moved to Berlin"])
        #expect(try await retrieve(["as_of": "2026-03-01T00:00:00Z"]) == ["Lives in Lisbon"])
        #expect(Set(try await retrieve(["include_superseded": true])) == ["Moved to Berlin", "Lives in Lisbon"])
        #expect(Self.texts(try await fixture.request("GET", "/v1/memories?user_id=ana", key: key)) == ["Moved to Berlin"])
        #expect(Self.texts(try await fixture.request("GET", "/v1/memories?user_id=ana&as_of=2026-02-01T00:00:00Z", key: key))
            == ["Lives in Lisbon"])

        let old = try await fixture.request("GET", "/v1/memories/\(lisbon)", key: key).json
        #expect(old["superseded_by"] as? String == berlin)
        #expect(old["valid_until"] as? String == "2026-06-01T10:00:00.000Z")
        #expect(old["slot"] as? String == "residence")
        let history = try await fixture.request("GET", "/v1/memories/\(lisbon)/history", key: key)
        #expect(history.data.map { $0["action"] as? String } == ["created", "superseded"])
        #expect(history.data.last?["related_id"] as? String == berlin)
        #expect(history.data.first?["job_id"] is String)

        // An older conversation memorized late does not undo the move: it is stored closed.
        let late = try await Self.memorize("I live in Madrid.", user: "ana", at: "2025-05-01T10:00:00Z", key: key, on: fixture)
        #expect(Self.texts(try await fixture.request("GET", "/v1/memories?user_id=ana", key: key)) == ["Moved to Berlin"])
        let madrid = try #require((late["created"] as? [String])?.first)
        let closed = try await fixture.request("GET", "/v1/memories/\(madrid)", key: key).json
        #expect(closed["superseded_by"] as? String == berlin)
        // Another tenant sees none of it.
        let other = try await fixture.key(tenant: "move-other-tenant")
        #expect(try await fixture.request("GET", "/v1/memories/\(lisbon)/history", key: other).status == 404)
    }

    @Test func directAddsCarryMetadataThatFiltersListAndRetrieve() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "direct-tenant")
        let body: [String: Any] = [
            "user_id": "meg", "text": "Prefers email over phone calls", "type": "profile", "metadata": ["source": "crm", "tier": 2],
        ]
        let first = try await fixture.request("POST", "/v1/memories", key: key, json: body, headers: ["Idempotency-Key": "add-1"])
        #expect(first.status == 201, "\(String(decoding: first.body, as: UTF8.self))")
        let id = try #require(first.json["id"] as? String)
        #expect(first.json["metadata"] as? [String: Any] as NSDictionary? == ["source": "crm", "tier": 2] as NSDictionary)
        let embedJob = try #require(first.headers.first(name: "x-memgrid-embedding-job"))
        let retried = try await fixture.request("POST", "/v1/memories", key: key, json: body, headers: ["Idempotency-Key": "add-1"])
        #expect(retried.status == 201)
        #expect(retried.json["id"] as? String == id)
        #expect(retried.json["reinforcement_count"] as? Int == 1)
        let again = try await fixture.request("POST", "/v1/memories", key: key, json: body)
        #expect(again.status == 200)
        #expect(again.json["reinforcement_count"] as? Int == 2)
        let plain = try await fixture.request(
            "POST", "/v1/memories", key: key,
            json: ["user_id": "meg", "text": "Prefers phone calls in the evening", "metadata": ["source": "import"]])
        #expect(plain.status == 201)
        #expect(plain.json["type"] as? String == "knowledge")

        let crm = try await fixture.request("GET", "/v1/memories?user_id=meg&metadata=%7B%22source%22%3A%22crm%22%7D", key: key)
        #expect(Self.texts(crm) == ["Prefers email over phone calls"])
        _ = try await GatewayAPITests.finished(embedJob, key: key, on: fixture)
        _ = try await GatewayAPITests.finished(try #require(plain.headers.first(name: "x-memgrid-embedding-job")), key: key, on: fixture)
        let found = try await fixture.request(
            "POST", "/v1/retrieve", key: key,
            json: ["user_id": "meg", "query": "how to contact her", "filters": ["metadata": ["tier": 2]]])
        #expect(Self.texts(found) == ["Prefers email over phone calls"])

        let nested = try await fixture.request(
            "POST", "/v1/memories", key: key, json: ["user_id": "meg", "text": "x", "metadata": ["a": ["b": 1]]])
        #expect(nested.status == 400)
        #expect((nested.json["error"] as? [String: Any])?["param"] as? String == "metadata.a")
        let badFilter = try await fixture.request("GET", "/v1/memories?user_id=meg&metadata=source", key: key)
        #expect(badFilter.status == 400)

        let patched = try await fixture.request("PATCH", "/v1/memories/\(id)", key: key, json: ["metadata": ["source": "crm2"]])
        #expect((patched.json["memory"] as? [String: Any])?["metadata"] as? [String: String] == ["source": "crm2"])
        let history = try await fixture.request("GET", "/v1/memories/\(id)/history", key: key)
        #expect(history.data.map { $0["action"] as? String } == ["created", "reinforced", "edited"])
        #expect(history.data.last?["request_id"] is String)
    }

    @Test func everyChangeEventReachesAConsumerOfTheEventsExchange() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "events-tenant")
        let queue = "\(fixture.prefix).test.changes"
        try await TestBroker.admin.declareQueue(queue)
        for type in ["memory.created", "memory.updated", "memory.superseded", "memory.deleted", "user.erased"] {
            try await TestBroker.admin.bind(queue, to: Topology(prefix: fixture.prefix).eventsExchange, routingKey: type)
        }
        let rome = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "ev", "text": "Lives in Rome"])
        let romeID = try #require(rome.json["id"] as? String)
        let paris = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "ev", "text": "Lives in Paris"])
        let parisID = try #require(paris.json["id"] as? String)
        #expect(try await fixture.request("GET", "/v1/memories/\(romeID)", key: key).json["superseded_by"] as? String == parisID)
        _ = try await fixture.request("PATCH", "/v1/memories/\(parisID)", key: key, json: ["categories": ["location", "travel"]])
        _ = try await fixture.request("DELETE", "/v1/memories/\(parisID)", key: key)
        let erased = try await fixture.request("DELETE", "/v1/users/ev", key: key)
        #expect(erased.status == 200)

        var events: [(type: String, payload: [String: Any])] = []
        let arrived = await TestBroker.eventually(timeout: .seconds(30)) {
            for delivery in (try? await TestBroker.admin.drain(queue, limit: 50)) ?? [] {
                let envelope = (try? JSONSerialization.jsonObject(with: delivery.body)) as? [String: Any] ?? [:]
                // Other tests' events share the exchange.
                guard envelope["tenant_id"] as? String == "events-tenant" else { continue }
                #expect(delivery.properties.type == "\(envelope["type"] as? String ?? "").v1")
                events.append((envelope["type"] as? String ?? "", envelope["payload"] as? [String: Any] ?? [:]))
            }
            return Set(events.map(\.type)).count == 5
        }
        #expect(arrived, "\(events.map(\.type))")
        #expect(events.first { $0.type == "memory.superseded" }?.payload["superseded_by"] as? String == parisID)
        #expect(events.first { $0.type == "memory.updated" }?.payload["changed"] as? [String] == ["categories"])
        #expect(events.first { $0.type == "memory.deleted" }?.payload["reason"] as? String == "deleted")
        #expect((events.first { $0.type == "user.erased" }?.payload["removed"] as? [String: Any])?["memories"] as? Int == 1)
        try await TestBroker.admin.deleteQueues([queue])
    }

    @Test func erasingAUserLeavesNothingOfThemAndOnlyTheirTenantCanDoIt() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "erase-tenant")
        let other = try await fixture.key(tenant: "erase-other-tenant")
        let result = try await Self.memorize(
            "I live in Oslo. I have a dentist appointment tomorrow at 9am.", user: "eve", at: "2026-12-06T08:00:00Z", key: key,
            on: fixture)
        let ids = try #require(result["created"] as? [String])
        let added = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "eve", "text": "Plays the cello"])
        _ = try await GatewayAPITests.finished(try #require(added.headers.first(name: "x-memgrid-embedding-job")), key: key, on: fixture)
        _ = try await fixture.request("POST", "/v1/memories", key: other, json: ["user_id": "eve", "text": "Plays the violin"])
        let reminders = "\(fixture.prefix).test.erased-reminders"
        try await TestBroker.admin.declareQueue(reminders)
        try await TestBroker.admin.bind(
            reminders, to: Topology(prefix: fixture.prefix).eventsExchange, routingKey: EventCatalog.proactiveReminder.name)
        let logger = fixture.logger
        // Far enough out that the erasure below comes first even on a loaded machine.
        let reminderDue = Date().addingTimeInterval(10)
        let space = try await fixture.database.withClient(url: fixture.database.url) { client in
            try await client.query("""
                INSERT INTO documents (tenant_id, external_id, text, metadata, content_hash)
                VALUES ('erase-tenant', 'doc-eve', 'Eve''s contract', '{"user_id": "eve"}', 'h'),
                       ('erase-tenant', 'doc-other', 'Someone else''s', '{"user_id": "zed"}', 'h2')
                """, logger: logger)
            // A reminder about to come due: erasure must stop it.
            try await ReminderRepository(client: client).schedule([
                .init(id: "eve-reminder", tenantID: "erase-tenant", userID: "eve", memoryID: nil, text: "Call the bank",
                      dueAt: reminderDue, eventAt: nil),
            ], logger: logger)
            for try await id in try await client.query("SELECT id FROM embedding_spaces WHERE active", logger: logger).decode(String.self) {
                return id
            }
            throw TestFailure("no active space")
        }
        let redis = RedisClient(configuration: try .init(url: TestRedis.url))
        let cacheKey = EmbeddingCache(client: redis, ttl: nil, metrics: NOOPMetricsHandler.instance, logger: logger)
            .key(space: space, tenantID: "erase-tenant", text: "Plays the cello")
        #expect(try await redis.get(cacheKey) != nil, "the embedding worker caches what it embeds")

        // Another tenant can neither read nor erase this user: its "eve" is its own.
        #expect(try await fixture.request("GET", "/v1/memories/\(ids[0])", key: other).status == 404)
        let foreign = try await fixture.request("DELETE", "/v1/users/eve", key: other)
        #expect(foreign.status == 200)
        #expect((foreign.json["removed"] as? [String: Any])?["memories"] as? Int == 1)
        #expect(Self.texts(try await fixture.request("GET", "/v1/memories?user_id=eve", key: key)).count == ids.count + 1)

        let erased = try await fixture.request("DELETE", "/v1/users/eve", key: key)
        #expect(erased.status == 200, "\(String(decoding: erased.body, as: UTF8.self))")
        let removed = try #require(erased.json["removed"] as? [String: Int])
        #expect(removed["memories"] == ids.count + 1)
        #expect(removed["messages"] == 1)
        #expect(removed["documents"] == 1)
        #expect(removed["reminders"].map { $0 >= 1 } == true)
        #expect(removed["vectors"].map { $0 >= ids.count + 2 } == true)
        #expect(removed["jobs"].map { $0 >= 2 } == true)
        #expect(removed["history"].map { $0 >= ids.count + 1 } == true)
        #expect(removed["cache_entries"].map { $0 >= 1 } == true)
        #expect(try await redis.get(cacheKey) == nil)

        #expect(Date() < reminderDue, "the erasure came after the reminder was due: the check below proves nothing")
        // Past the due time and a few of the proactive worker's polls.
        try await Task.sleep(for: .seconds(max(0, reminderDue.timeIntervalSinceNow) + 3))
        let fired = try await TestBroker.admin.drain(reminders, limit: 100).filter {
            String(decoding: $0.body, as: UTF8.self).contains("eve-reminder")
        }
        #expect(fired.isEmpty, "an erased user's reminder fired")
        let left = try await fixture.database.withClient(url: fixture.database.url) { client in
            var counts: [String: Int] = [:]
            for (table, condition) in [
                ("memory_items", "user_id = 'eve'"), ("memory_messages", "user_id = 'eve'"), ("memory_item_history", "user_id = 'eve'"),
                ("reminders", "user_id = 'eve'"), ("memory_categories", "user_id = 'eve'"), ("summary_refreshes", "user_id = 'eve'"),
                ("jobs", "user_id = 'eve'"), ("documents", "metadata->>'user_id' = 'eve'"), ("embeddings", "true"),
            ] {
                let query = PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE tenant_id = 'erase-tenant' AND \(condition)")
                for try await count in try await client.query(query, logger: logger).decode(Int.self) { counts[table] = count }
            }
            return counts
        }
        #expect(left.values.allSatisfy { $0 == 0 }, "\(left)")
        #expect(try await fixture.request("GET", "/v1/memories/\(ids[0])/history", key: key).status == 404)
        try await TestBroker.admin.deleteQueues([reminders])
    }

    /// A Python service written from docs/contracts.md alone (`Tests/Clients/events_client.py`,
    /// pika) receives each change event with the envelope, AMQP properties and payload
    /// fields the document promises.
    @Test func aPythonConsumerWrittenFromTheDocsReceivesEveryChangeEvent() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "python-events-tenant")
        let client = try await PythonEventsClient(fixture: fixture, tenant: "python-events-tenant", types: [
            "memory.created", "memory.updated", "memory.superseded", "memory.deleted", "user.erased",
        ])
        let rome = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "py", "text": "Lives in Rome"])
        let paris = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "py", "text": "Lives in Paris"])
        #expect(rome.status == 201 && paris.status == 201)
        let parisID = try #require(paris.json["id"] as? String)
        _ = try await fixture.request("PATCH", "/v1/memories/\(parisID)", key: key, json: ["metadata": ["source": "python"]])
        _ = try await fixture.request("DELETE", "/v1/memories/\(parisID)", key: key)
        _ = try await fixture.request("DELETE", "/v1/users/py", key: key)

        let (status, output) = await client.finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok memory.superseded") && output.contains("ok user.erased"), "\(output)")
    }

    /// docs/contracts.md promises `job.completed` for every job type once its result is
    /// durable: the same documented client waits for a memorize job's and its embed job's.
    @Test func jobCompletedArrivesForEveryJobType() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "python-jobs-tenant")
        let client = try await PythonEventsClient(
            fixture: fixture, tenant: "python-jobs-tenant", types: ["job.completed:memorize.v1", "job.completed:embed.v1"])
        let memorize = try await fixture.request("POST", "/v1/memorize", key: key, json: [
            "user_id": "jobs", "messages": [["role": "user", "content": "I moved to Lisbon last spring."]],
        ])
        #expect(memorize.status == 202)
        let (status, output) = await client.finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok job.completed:memorize.v1") && output.contains("ok job.completed:embed.v1"), "\(output)")
    }
}

/// `Tests/Clients/events_client.py` running beside a test: started (and bound) before the
/// test acts, finished when every wanted event type came or 120 s passed.
struct PythonEventsClient {
    let process: Process
    let reader: FileHandle

    init(fixture: GatewayFixture, tenant: String, types: [String]) async throws {
        process = try PythonClient.process("events_client.py", arguments: [
            ProcessInfo.processInfo.environment["MEMGRID_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:35672/",
            Topology(prefix: fixture.prefix).eventsExchange, tenant,
        ] + types)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        reader = output.fileHandleForReading
        try process.run()
        let first = await offThePool { [reader] in String(decoding: reader.availableData, as: UTF8.self) }
        try #require(first.hasPrefix("ready"), "\(first)")
    }

    func finish() async -> (status: Int32, output: String) {
        await offThePool { [process, reader] in
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: reader.readDataToEndOfFile(), as: UTF8.self))
        }
    }
}
