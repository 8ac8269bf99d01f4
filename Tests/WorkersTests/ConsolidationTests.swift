import Contracts
import CoreMetrics
import Foundation
import Logging
import Messaging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import SystemHarness
import TestSupport
import Testing
import WorkerRuntime
@testable import ProactiveWorker

/// A scratch database with tenant `t1` and an active 4-dimensional embedding space, and
/// helpers to plant memories whose vectors (and so similarities) are exact.
struct ConsolidationFixture: Sendable {
    static let space = "test-model@1/4"
    let database = ScratchDatabase()
    let logger = Logger(label: "test.consolidation")

    /// Runs `body` on a fresh migrated database, dropped afterwards.
    static func with(_ body: @Sendable (ConsolidationFixture, PostgresClient) async throws -> Void) async throws {
        let fixture = ConsolidationFixture()
        try await fixture.database.createMigrated()
        do {
            try await fixture.database.execute("INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant One')")
            try await fixture.database.withClient(url: fixture.database.url) { client in
                try await EmbeddingRepository(client: client).register(
                    spaceID: space, model: "test-model", revision: "1", dimensions: 4, logger: fixture.logger)
                try await body(fixture, client)
            }
        } catch {
            await fixture.database.drop()
            throw error
        }
        await fixture.database.drop()
    }

    /// Stores one item as `job` states it (again), with `vector` in the active space.
    @discardableResult
    func plant(
        _ text: String, vector: [Float]?, user: String = "u1", agent: String? = nil, type: String = "knowledge",
        categories: [String] = [], job: String, client: PostgresClient
    ) async throws -> String {
        let hash = MemoryRepository.contentHash(ofNormalized: text)
        let stored = try await client.withTransaction(logger: logger) { connection in
            try await MemoryRepository(client: client).record(
                [.init(type: type, text: text, contentHash: hash, categories: categories, happenedAt: nil, validFrom: Date())],
                tenantID: "t1", userID: user, agentID: agent, resourceID: nil, source: job, origin: .job(job), on: connection, logger: logger
            ).items
        }
        let id = try #require(stored.first?.id)
        if let vector { try await store(vector, for: id, space: Self.space, client: client) }
        return id
    }

    func store(_ vector: [Float], for id: String, space: String, client: PostgresClient) async throws {
        try await EmbeddingRepository(client: client).upsert(
            [.init(tenantID: "t1", targetKind: .memoryItem, targetID: id, contentHash: "h", embedding: vector, text: "")],
            spaceID: space, dimensions: vector.count, logger: logger)
    }

    func execute(_ query: PostgresQuery, client: PostgresClient) async throws {
        try await client.query(query, logger: logger)
    }

    func strings(_ query: PostgresQuery, client: PostgresClient) async throws -> [String] {
        var values: [String] = []
        for try await value in try await client.query(query, logger: logger).decode(String.self) { values.append(value) }
        return values
    }

    func int(_ query: PostgresQuery, client: PostgresClient) async throws -> Int {
        for try await value in try await client.query(query, logger: logger).decode(Int.self) { return value }
        return -1
    }
}

@Suite("Consolidation and expiry of memories against the real servers", .serialized)
struct ConsolidationTests {
    @Test("near-duplicates merge into the oldest: counts summed, categories unioned, references repointed; distinct memories stay")
    func mergesNearDuplicates() async throws {
        try await ConsolidationFixture.with { fixture, client in
            // a, b, c are one memory (b ~ a at 0.99, c ~ b at 0.99, c ~ a at 0.96); the rest differ
            // in vector, type, agent or user, or have no vector.
            let a = try await fixture.plant("likes coffee", vector: [1, 0, 0, 0], categories: ["food"], job: "j1", client: client)
            try await fixture.plant("likes coffee", vector: nil, job: "j2", client: client)  // reinforces a
            let b = try await fixture.plant("loves coffee", vector: [0.99, 0.141, 0, 0], categories: ["drinks"], job: "j2", client: client)
            let c = try await fixture.plant("enjoys coffee", vector: [0.96, 0.28, 0, 0], categories: ["food", "morning"], job: "j3", client: client)
            let far = try await fixture.plant("lives in Paris", vector: [0, 1, 0, 0], job: "j1", client: client)
            let otherType = try await fixture.plant("coffee lover", vector: [1, 0, 0, 0], type: "profile", job: "j1", client: client)
            let otherAgent = try await fixture.plant("likes coffee", vector: [1, 0, 0, 0], agent: "bot", job: "j1", client: client)
            let noVector = try await fixture.plant("adores coffee", vector: nil, job: "j1", client: client)
            let otherUser = try await fixture.plant("likes coffee", vector: [1, 0, 0, 0], user: "u2", job: "j1", client: client)
            let zero = try await fixture.plant("drinks coffee", vector: [0, 0, 0, 0], job: "j1", client: client)
            // Creation order decides the survivor: a is the oldest.
            try await fixture.execute("""
                UPDATE memory_items SET created_at = CASE id WHEN \(a) THEN timestamptz '2026-01-01' WHEN \(b) THEN timestamptz '2026-01-02'
                    ELSE timestamptz '2026-01-03' END
                """, client: client)
            try await fixture.execute("""
                UPDATE memory_items SET message_ids = CASE id WHEN \(a) THEN '{m1}'::text[] WHEN \(b) THEN '{m2,m3}'::text[] ELSE '{m3}'::text[] END
                WHERE id IN (\(a), \(b), \(c))
                """, client: client)
            // b also has a vector in an inactive space: it goes too.
            try await EmbeddingRepository(client: client).register(
                spaceID: "old-model@1/4", model: "old-model", revision: "1", dimensions: 4, logger: fixture.logger)
            try await fixture.store([1, 0, 0, 0], for: b, space: "old-model@1/4", client: client)
            try await ReminderRepository(client: client).schedule([
                .init(id: "\(c):reminder", tenantID: "t1", userID: "u1", memoryID: c, text: "coffee", dueAt: Date(), eventAt: nil),
            ], logger: fixture.logger)
            try await fixture.execute("""
                INSERT INTO memory_categories (tenant_id, user_id, name, summary, summary_item_ids)
                VALUES ('t1', 'u1', 'food', 'coffee', ARRAY[\(c), \(far), \(b), \(a)]::text[]),
                       ('t1', 'u1', 'places', 'Paris', ARRAY[\(far)]::text[])
                """, client: client)

            let repository = ConsolidationRepository(client: client)
            #expect(try await EmbeddingSpaceRepository(client: client).active(logger: fixture.logger)?.id == ConsolidationFixture.space)
            let first = try await repository.consolidate(
                tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: 0.95, logger: fixture.logger)
            #expect(first == .init(groups: 1, merged: 2, examined: 7))  // the first run: every vector is new

            let survivor = try #require(try await MemoryRepository(client: client).get(id: a, tenantID: "t1", logger: fixture.logger))
            #expect(survivor.reinforcementCount == 4)  // 2 + 1 + 1
            #expect(survivor.categories == ["drinks", "food", "morning"])
            #expect(survivor.text == "likes coffee")
            #expect(survivor.messageIDs == ["m1", "m2", "m3"])
            let items = try await fixture.strings("SELECT id FROM memory_items ORDER BY id", client: client)
            #expect(Set(items) == [a, far, otherType, otherAgent, noVector, otherUser, zero])
            let sources = try await fixture.strings("SELECT job_id FROM memory_item_sources WHERE item_id = \(a) ORDER BY job_id", client: client)
            #expect(sources == ["j1", "j2", "j3"])
            let reminder = try await ReminderRepository(client: client).get(id: "\(c):reminder", tenantID: "t1", logger: fixture.logger)
            #expect(reminder?.memoryID == a)
            let summary = try await fixture.strings(
                "SELECT unnest(summary_item_ids) FROM memory_categories WHERE name = 'food'", client: client)
            #expect(summary == [a, far])
            let places = try await fixture.strings(
                "SELECT unnest(summary_item_ids) FROM memory_categories WHERE name = 'places'", client: client)
            #expect(places == [far])
            let vectors = try await fixture.strings("SELECT target_id FROM embeddings WHERE target_id = ANY(\([b, c]))", client: client)
            #expect(vectors.isEmpty)

            // Again: nothing left to merge, nothing changes.
            let before = try await fixture.strings(
                "SELECT id || ':' || reinforcement_count || ':' || array_to_string(categories, ',') FROM memory_items ORDER BY id",
                client: client)
            let second = try await repository.consolidate(
                tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: 0.95, logger: fixture.logger)
            #expect(second.groups == 0 && second.merged == 0)
            let after = try await fixture.strings(
                "SELECT id || ':' || reinforcement_count || ':' || array_to_string(categories, ',') FROM memory_items ORDER BY id",
                client: client)
            #expect(after == before)
        }
    }

    @Test("merged duplicates of one event remind once: per event time one reminder stays, a fired one first")
    func duplicateEventsRemindOnce() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let a = try await fixture.plant("dentist on March 3 at 3pm", vector: [1, 0, 0, 0], type: "event", job: "j1", client: client)
            let b = try await fixture.plant("dentist appointment March 3, 15:00", vector: [0.99, 0.141, 0, 0], type: "event", job: "j2", client: client)
            try await fixture.execute("""
                UPDATE memory_items SET created_at = CASE id WHEN \(a) THEN timestamptz '2026-01-01' ELSE timestamptz '2026-01-02' END
                """, client: client)
            let march3 = Date(timeIntervalSince1970: 1_772_550_000)
            let march9 = march3.addingTimeInterval(6 * 86_400)
            let reminders = ReminderRepository(client: client)
            // Same event twice (a's first), a second event only b knows, and a third event a's
            // reminder already fired for while b's is still waiting.
            try await reminders.schedule([
                .init(id: "a-mar3", tenantID: "t1", userID: "u1", memoryID: a, text: "dentist", dueAt: march3, eventAt: march3),
                .init(id: "b-mar3", tenantID: "t1", userID: "u1", memoryID: b, text: "dentist", dueAt: march3, eventAt: march3),
                .init(id: "b-mar9", tenantID: "t1", userID: "u1", memoryID: b, text: "check-up", dueAt: march9, eventAt: march9),
                .init(id: "b-past", tenantID: "t1", userID: "u1", memoryID: b, text: "cleaning", dueAt: march9, eventAt: march3.addingTimeInterval(-86_400)),
            ], logger: fixture.logger)
            try await reminders.schedule([
                .init(id: "a-past", tenantID: "t1", userID: "u1", memoryID: a, text: "cleaning", dueAt: march3, eventAt: march3.addingTimeInterval(-86_400)),
            ], logger: fixture.logger)
            try await fixture.execute("UPDATE reminders SET state = 'fired', fired_at = now() WHERE id = 'a-past'", client: client)

            let outcome = try await ConsolidationRepository(client: client).consolidate(
                tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: 0.95, logger: fixture.logger)
            #expect(outcome == .init(groups: 1, merged: 1, examined: 2))
            let states = try await fixture.strings(
                "SELECT id || ' ' || memory_id || ' ' || state || coalesce(' ' || last_error, '') FROM reminders ORDER BY id", client: client)
            #expect(states == [
                "a-mar3 \(a) scheduled", "a-past \(a) fired", "b-mar3 \(a) cancelled duplicate of a-mar3", "b-mar9 \(a) scheduled",
                "b-past \(a) cancelled duplicate of a-past",
            ])
        }
    }

    @Test("the threshold decides: below it nothing merges")
    func thresholdDecides() async throws {
        try await ConsolidationFixture.with { fixture, client in
            try await fixture.plant("likes tea", vector: [1, 0, 0, 0], job: "j1", client: client)
            try await fixture.plant("likes green tea", vector: [0.9, 0.436, 0, 0], job: "j1", client: client)  // cosine 0.9
            let repository = ConsolidationRepository(client: client)
            let strict = try await repository.consolidate(
                tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: 0.92, logger: fixture.logger)
            #expect(strict == .init(examined: 2))
            let loose = try await repository.consolidate(
                tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: 0.85, logger: fixture.logger)
            #expect(loose == .init(groups: 1, merged: 1, examined: 2))
        }
    }

    @Test("a run compares only vectors written since the last one, each with all the others; a looser threshold compares all again")
    func comparesOnlyNewVectors() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let repository = ConsolidationRepository(client: client)
            func run(threshold: Double = 0.95) async throws -> ConsolidationRepository.Outcome {
                try await repository.consolidate(
                    tenantID: "t1", userID: "u1", spaceID: ConsolidationFixture.space, threshold: threshold, logger: fixture.logger)
            }
            // What is stored so far was written long before the next run.
            func age() async throws {
                try await fixture.execute("UPDATE embeddings SET updated_at = updated_at - interval '1 hour'", client: client)
            }
            let tea = try await fixture.plant("likes tea", vector: [1, 0, 0, 0], job: "j1", client: client)
            let oslo = try await fixture.plant("lives in Oslo", vector: [0, 1, 0, 0], job: "j1", client: client)
            let nights = try await fixture.plant("works nights", vector: [0, 0, 1, 0], job: "j1", client: client)
            #expect(try await run() == .init(examined: 3))
            try await age()
            #expect(try await run() == .init(examined: 0))

            // A new duplicate of an old memory: compared with it, merged into it.
            try await fixture.plant("likes black tea", vector: [0.99, 0.141, 0, 0], job: "j2", client: client)
            #expect(try await run() == .init(groups: 1, merged: 1, examined: 1))
            let afterNew = try await fixture.strings("SELECT id FROM memory_items ORDER BY id", client: client)
            #expect(Set(afterNew) == [tea, oslo, nights])

            // Cosine 0.9 to tea: not a duplicate at 0.95, and not compared again at 0.95 ...
            try await fixture.plant("likes green tea", vector: [0.9, 0.436, 0, 0], job: "j3", client: client)
            #expect(try await run() == .init(examined: 1))
            try await age()
            #expect(try await run() == .init(examined: 0))
            // ... but a looser threshold compares every vector again.
            #expect(try await run(threshold: 0.85) == .init(groups: 1, merged: 1, examined: 4))

            // The marks are the user's data too: erasure removes them.
            _ = try await UserErasure(client: client).erase(
                tenantID: "t1", userID: "u1", requestID: "r1", logger: fixture.logger, clearCache: { _, _ in 0 })
            #expect(try await fixture.int("SELECT count(*)::int FROM consolidation_marks", client: client) == 0)
        }
    }

    @Test("the proactive worker handles consolidate.v1: the payload's threshold, else its own")
    func workerHandlesJobs() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let system = try SystemHarness(
                databaseURL: fixture.database.url, prefix: "test-\(UUID().uuidString.prefix(8).lowercased())",
                overrides: ["MEMGRID_CONSOLIDATION_THRESHOLD": "0.95"], logger: fixture.logger)
            let parts = try system.proactiveWorker(clock: ManualClock(Date(timeIntervalSince1970: 0)), instance: "replica")
            try await TestBroker.admin.declare(system.declaration)
            defer { Task { await TestBroker.tearDown(system.declaration) } }

            let a = try await fixture.plant("likes tea", vector: [1, 0, 0, 0], job: "j1", client: client)
            let b = try await fixture.plant("likes green tea", vector: [0.9, 0.436, 0, 0], job: "j2", client: client)  // cosine 0.9
            // 0.97 to a, 0.77 to b.
            try await fixture.plant("likes black tea", vector: [0.97, -0.243, 0, 0], job: "j3", client: client)
            let topology = system.topology
            func remaining() async throws -> Set<String> {
                Set(try await fixture.strings("SELECT id FROM memory_items WHERE user_id = 'u1'", client: client))
            }
            // The worker's 0.95 merges a and c only; then a payload threshold of 0.85 takes b too.
            try await parts.publisher.publish(.job(
                JobEnvelope(id: "consolidate-1", tenantID: "t1", payload: ConsolidateJob(userID: "u1")), topology: topology))
            let first = try await TestBroker.eventually(timeout: .seconds(30)) { try await remaining().count == 2 }
            let afterFirst = try await remaining()
            try await parts.publisher.publish(.job(
                JobEnvelope(id: "consolidate-2", tenantID: "t1", payload: ConsolidateJob(userID: "u1", threshold: 0.85)),
                topology: topology))
            let second = try await TestBroker.eventually(timeout: .seconds(30)) { try await remaining().count == 1 }
            let afterSecond = try await remaining()
            await system.stop()

            #expect(first && second)
            #expect(afterFirst == [a, b] && afterSecond == [a])
            let count = try await fixture.int("SELECT reinforcement_count FROM memory_items WHERE id = \(a)", client: client)
            #expect(count == 3)
        }
    }

    @Test("groups are connected components")
    func groupsAreComponents() {
        let groups = ConsolidationRepository.groups([("d", "e"), ("b", "c"), ("a", "b"), ("x", "y"), ("e", "f"), ("c", "a")])
        #expect(groups == [["a", "b", "c"], ["d", "e", "f"], ["x", "y"]])
    }

    /// A started publisher on a topology of the test's own, closed and torn down after `body`.
    static func withPublisher(_ body: (Publisher, TopologyDeclaration) async throws -> Void) async throws {
        let declaration = TopologyDeclaration(topology: Topology(prefix: "test-\(UUID().uuidString.prefix(8).lowercased())"))
        try await TestBroker.admin.declare(declaration)
        let publisher = Publisher(configuration: TestBroker.configuration, logger: Logger(label: "test.publisher"))
        publisher.start()
        do {
            try await body(publisher, declaration)
        } catch {
            await publisher.close()
            await TestBroker.tearDown(declaration)
            throw error
        }
        await publisher.close()
        await TestBroker.tearDown(declaration)
    }

    @Test("three schedulers ticking one slot claim it once and publish each user's job once")
    func threeSchedulersOneClaim() async throws {
        try await Self.withPublisher { publisher, declaration in
            try await ConsolidationFixture.with { fixture, client in
                let slot = Date(timeIntervalSince1970: 1_773_478_800)  // 2026-03-14T09:00:00Z
                try await fixture.plant("likes coffee", vector: nil, user: "u1", job: "j1", client: client)
                try await fixture.plant("likes tea", vector: nil, user: "u2", job: "j1", client: client)
                try await fixture.plant("likes water", vector: nil, user: "u3", job: "j1", client: client)
                try await fixture.plant("likes milk", vector: nil, user: "u4", job: "j1", client: client)
                // u1, u2 are new in the hour before the slot; u3 is older; u4 comes after the slot.
                try await fixture.execute("""
                    UPDATE memory_items SET created_at = CASE user_id
                        WHEN 'u1' THEN \(slot.addingTimeInterval(-1800)) WHEN 'u2' THEN \(slot.addingTimeInterval(-1))
                        WHEN 'u3' THEN \(slot.addingTimeInterval(-3601)) ELSE \(slot) END
                    """, client: client)
                let clock = ManualClock(slot.addingTimeInterval(600))
                let schedulers = (0..<3).map { n in
                    MaintenanceScheduler(
                        runs: MaintenanceRepository(client: client), consolidation: ConsolidationRepository(client: client),
                        largeUsers: LargeUserRepository(client: client),
                        publisher: publisher, topology: declaration.topology,
                        configuration: .init(interval: .seconds(3600), threshold: 0.92, timeToLive: [:]), clock: clock,
                        owner: "replica-\(n)", factory: NOOPMetricsHandler.instance, logger: fixture.logger)
                }
                let results: [[MaintenanceScheduler.Kind: Int]] = try await withThrowingTaskGroup(of: [MaintenanceScheduler.Kind: Int].self) { group in
                    for scheduler in schedulers { group.addTask { try await scheduler.tick() } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                // Each task's slot is claimed once, by whichever replica wins it.
                let claimed = results.flatMap { $0 }
                #expect(claimed.count == 2)
                #expect(Dictionary(claimed, uniquingKeysWith: +) == [.consolidate: 2, .largeUsers: 0])
                // Ticking again in the same slot does nothing anywhere.
                for scheduler in schedulers { #expect(try await scheduler.tick().isEmpty) }

                let queue = declaration.topology.workQueue(.proactive)
                var messages: [Delivery] = []
                _ = try await TestBroker.eventually(timeout: .seconds(5)) {
                    messages += try await TestBroker.admin.drain(queue, limit: 100)
                    return messages.count >= 2
                }
                let jobs = try messages.map { try WireJSON.decoder().decode(JobEnvelope<ConsolidateJob>.self, from: $0.body) }
                #expect(jobs.map(\.payload.userID).sorted() == ["u1", "u2"])
                #expect(Set(jobs.map(\.id)) == [
                    "consolidate:2026-03-14T09:00:00Z:t1:u1", "consolidate:2026-03-14T09:00:00Z:t1:u2",
                ])
                #expect(jobs.allSatisfy { $0.tenantID == "t1" && $0.payload.threshold == nil })
                let runs = try await MaintenanceRepository(client: client).runs(task: "consolidate", logger: fixture.logger)
                #expect(runs.count == 1)
                #expect(runs.first?.slot == slot && runs.first?.units == 2 && runs.first?.finishedAt != nil)

                // The next slot covers from this one on: u4 only.
                clock.set(slot.addingTimeInterval(3600 + 5))
                let next = try await schedulers[1].tick()
                #expect(next == [.consolidate: 1, .largeUsers: 0])
                messages = []
                _ = try await TestBroker.eventually(timeout: .seconds(5)) {
                    messages += try await TestBroker.admin.drain(queue, limit: 100)
                    return !messages.isEmpty
                }
                let later = try messages.map { try WireJSON.decoder().decode(JobEnvelope<ConsolidateJob>.self, from: $0.body) }
                #expect(later.map(\.payload.userID) == ["u4"])
            }
        }
    }

    @Test("a claim whose work fails is rolled back, and another replica takes the slot")
    func failedClaimIsReleased() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let runs = MaintenanceRepository(client: client)
            let slot = Date(timeIntervalSince1970: 1_773_478_800)
            struct Crash: Error {}
            let error = await #expect(throws: PostgresTransactionError.self) {
                try await runs.claim(task: "probe", slot: slot, owner: "a", now: slot, logger: fixture.logger) { _ in throw Crash() }
            }
            #expect(error?.closureError is Crash)
            let taken = try await runs.claim(task: "probe", slot: slot, owner: "b", now: slot, logger: fixture.logger) { claim in
                #expect(claim.previousSlot == nil)
                return 7
            }
            #expect(taken == 7)
            let again = try await runs.claim(task: "probe", slot: slot, owner: "c", now: slot, logger: fixture.logger) { _ in 1 }
            #expect(again == nil)
            let later = try await runs.claim(
                task: "probe", slot: slot.addingTimeInterval(60), owner: "c", now: slot, logger: fixture.logger
            ) { claim in
                #expect(claim.previousSlot == slot)
                return 0
            }
            #expect(later == 0)
            #expect(try await runs.runs(task: "probe", logger: fixture.logger).map(\.claimedBy) == ["c", "b"])
        }
    }

    @Test("expiry deletes only items of configured types past their TTL, with their vectors and summary references")
    func expiry() async throws {
        try await ConsolidationFixture.with { fixture, client in
            let now = Date(timeIntervalSince1970: 1_773_478_800)
            let day: TimeInterval = 86_400
            func plant(_ text: String, type: String, updated: TimeInterval, happened: TimeInterval?) async throws -> String {
                let id = try await fixture.plant(text, vector: [1, 0, 0, 0], type: type, job: "j1", client: client)
                try await fixture.execute("""
                    UPDATE memory_items SET created_at = timestamptz '2020-01-01', updated_at = \(now.addingTimeInterval(-updated)),
                        happened_at = \(happened.map { now.addingTimeInterval(-$0) }) WHERE id = \(id)
                    """, client: client)
                return id
            }
            let oldEvent = try await plant("concert last month", type: "event", updated: 40 * day, happened: 40 * day)
            let recentEvent = try await plant("dentist last week", type: "event", updated: 7 * day, happened: 7 * day)
            let upcoming = try await plant("wedding next month", type: "event", updated: 40 * day, happened: -30 * day)
            let restated = try await plant("school trip years ago", type: "event", updated: 1 * day, happened: 900 * day)
            let oldFact = try await plant("old fact", type: "knowledge", updated: 400 * day, happened: nil)
            let freshFact = try await plant("fresh fact", type: "knowledge", updated: 300 * day, happened: nil)
            let profile = try await plant("name is Ada", type: "profile", updated: 4000 * day, happened: nil)
            try await fixture.execute("""
                INSERT INTO memory_categories (tenant_id, user_id, name, summary_item_ids)
                VALUES ('t1', 'u1', 'life', ARRAY[\(oldEvent), \(profile), \(oldFact)]::text[])
                """, client: client)

            let clock = ManualClock(now.addingTimeInterval(1))
            let scheduler = MaintenanceScheduler(
                runs: MaintenanceRepository(client: client), consolidation: ConsolidationRepository(client: client),
                    largeUsers: LargeUserRepository(client: client),
                publisher: Publisher(configuration: TestBroker.configuration, logger: fixture.logger),
                topology: Topology(prefix: "unused"),
                configuration: .init(timeToLive: ["event": .seconds(720 * 3600), "knowledge": .seconds(8760 * 3600)]),
                clock: clock, owner: "replica", factory: NOOPMetricsHandler.instance, logger: fixture.logger)
            let done = try await scheduler.tick()
            #expect(done == [.consolidate: 0, .expire: 2, .largeUsers: 0])
            let items = try await fixture.strings("SELECT id FROM memory_items", client: client)
            #expect(Set(items) == [recentEvent, upcoming, restated, freshFact, profile])
            let vectors = try await fixture.strings("SELECT target_id FROM embeddings", client: client)
            #expect(Set(vectors) == Set(items))
            let summary = try await fixture.strings("SELECT unnest(summary_item_ids) FROM memory_categories", client: client)
            #expect(summary == [profile])
            #expect(try await scheduler.tick().isEmpty, "one run per slot")
        }
    }

    @Test("large-users promotes the users at the threshold with new rows once, and marks their vectors")
    func largeUsersArePromotedOnce() async throws {
        try await Self.withPublisher { publisher, declaration in
            try await ConsolidationFixture.with { fixture, client in
                for n in 0..<3 { try await fixture.plant("u1 fact \(n)", vector: [1, Float(n), 0, 0], user: "u1", job: "j1", client: client) }
                for n in 0..<2 { try await fixture.plant("u2 fact \(n)", vector: [0, 1, Float(n), 0], user: "u2", job: "j1", client: client) }
                func scheduler(at date: Date) -> MaintenanceScheduler {
                    MaintenanceScheduler(
                        runs: MaintenanceRepository(client: client), consolidation: ConsolidationRepository(client: client),
                        largeUsers: LargeUserRepository(client: client),
                        publisher: publisher, topology: declaration.topology, configuration: .init(largeUserRows: 3), clock: ManualClock(date), owner: "replica",
                        factory: NOOPMetricsHandler.instance, logger: fixture.logger)
                }
                #expect(try await scheduler(at: Date().addingTimeInterval(3600)).tick()[.largeUsers] == 1)
                #expect(try await fixture.strings("SELECT user_id FROM large_users", client: client) == ["u1"])
                #expect(try await fixture.strings("SELECT DISTINCT large_user_id FROM embeddings WHERE large_user_id IS NOT NULL", client: client)
                    == ["u1"])
                // The next slot: u2 reaches the threshold; u1 is not promoted again.
                let third = try await fixture.plant("u2 fact 2", vector: [0, 0, 1, 1], user: "u2", job: "j2", client: client)
                try await fixture.execute(
                    "UPDATE memory_items SET created_at = \(Date().addingTimeInterval(3700)) WHERE id = \(third)", client: client)
                #expect(try await scheduler(at: Date().addingTimeInterval(7300)).tick()[.largeUsers] == 1)
                #expect(try await fixture.strings("SELECT user_id FROM large_users ORDER BY 1", client: client) == ["u1", "u2"])
            }
        }
    }

    @Test("MEMGRID_MEMORY_TTL parses types and durations, and rejects the rest")
    func timeToLiveParsing() throws {
        typealias Maintenance = ProactiveWorkerApp.Configuration.Maintenance
        #expect(try Maintenance.timeToLive("") == [:])
        #expect(try Maintenance.timeToLive("event=720h, knowledge=365d,skill=90m,tool=30s") == [
            "event": .seconds(720 * 3600), "knowledge": .seconds(365 * 86_400), "skill": .seconds(90 * 60), "tool": .seconds(30),
        ])
        for bad in ["event", "event=", "event=10", "event=0h", "event=-1h", "gossip=1h", "event=1h,event=2h", "event=1w"] {
            #expect(throws: EnvironmentReader.Error.self, "\(bad)") { try Maintenance.timeToLive(bad) }
        }
        let defaults = try Maintenance(environment: EnvironmentReader([:]))
        #expect(defaults == Maintenance(interval: .seconds(3600), threshold: 0.92, timeToLive: [:]))
        #expect(throws: EnvironmentReader.Error.self) {
            try Maintenance(environment: EnvironmentReader(["MEMGRID_CONSOLIDATION_THRESHOLD": "1.5"]))
        }
    }

    @Test("slots are the time floored to the interval")
    func slots() {
        let hour = Duration.seconds(3600)
        #expect(MaintenanceScheduler.slot(containing: Date(timeIntervalSince1970: 1_773_480_599.9), interval: hour)
            == Date(timeIntervalSince1970: 1_773_478_800))
        #expect(MaintenanceScheduler.slot(containing: Date(timeIntervalSince1970: 1_773_478_800), interval: hour)
            == Date(timeIntervalSince1970: 1_773_478_800))
        #expect(MaintenanceScheduler.slot(containing: Date(timeIntervalSince1970: 90), interval: .milliseconds(1500))
            == Date(timeIntervalSince1970: 90))
    }
}
