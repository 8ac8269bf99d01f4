import Foundation
@testable import Gateway
import Logging
import Metrics
import PostgresNIO
import Prometheus
import Storage
import Testing
import TestSupport

/// Reads that may lag go to a streaming standby of the stack's PostgreSQL (made with
/// pg_basebackup by `scripts/stack.sh replica`); reads of one's own writes stay on the
/// primary; a standby that is down or too far behind is skipped. Run with the fault
/// tests (Makefile), away from the main suite's load: a standby replaying a busy
/// primary on 2 loaded cores can stay seconds behind.
@Suite("Reads from a streaming replica", .serialized)
struct ReadReplicaTests {
    /// With the standby's replay paused it holds an older state than the primary, so
    /// each endpoint shows where it read.
    @Test func eachEndpointReadsWhereItShould() async throws {
        try await TestReplica.start()
        let fixture = try await GatewayFixture(workers: false, readReplica: true)
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "replica-tenant")
        func listed() async throws -> Int {
            let reply = try await fixture.request("GET", "/v1/memories?user_id=r", key: key)
            #expect(reply.status == 200)
            return (reply.json["data"] as? [[String: Any]])?.count ?? -1
        }

        let oslo = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "r", "text": "Lives in Oslo"])
        #expect(oslo.status == 201)
        let servedByReplica = try await TestBroker.eventually(timeout: .seconds(20)) {
            let metrics = try await fixture.request("GET", "/metrics", operations: true).body
            return try await listed() == 1 && Self.replicaReads(metrics) > 0
        }
        #expect(servedByReplica, "listings never came from the replica")

        try await TestReplica.pauseReplay(true)
        let bergen = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "r", "text": "Works in Bergen"])
        let bergenID = try #require(bergen.json["id"] as? String)
        #expect(try await fixture.request("GET", "/v1/memories/\(bergenID)", key: key).status == 200, "a memory just written is read from the primary")
        #expect(try await listed() == 1, "the listing comes from the paused replica, within its lag bound")
        let job = try await fixture.request("POST", "/v1/memorize", key: key, json: [
            "user_id": "r", "messages": [["role": "user", "content": "I moved to Lisbon."]],
        ])
        let jobID = try #require(job.json["id"] as? String)
        #expect(try await fixture.request("GET", "/v1/jobs/\(jobID)", key: key).status == 200, "a job the replica lacks is found on the primary")

        try await TestReplica.stop()
        #expect(try await listed() == 2, "with the replica down, the primary answers")
        #expect(try await fixture.request("GET", "/readyz", operations: true).status == 200, "a replica is not needed to be ready")
        await fixture.stop()
    }

    /// The replica's reads move to the primary while it is behind by more than the bound,
    /// come back once it has caught up, and move again when it dies. A probe asks the
    /// server that answered whether it is a standby.
    @Test func aReplicaBehindOrDownIsSkipped() async throws {
        try await TestReplica.start()
        let database = ScratchDatabase()
        try await database.create()
        defer { Task { await database.drop() } }
        let logger = Logger(label: "test.replica")
        let primary = PostgresClient(configuration: try DatabaseConfiguration(url: database.url).client, backgroundLogger: logger)
        let reads = ReadReplicas(
            primary: primary, replicas: [try DatabaseConfiguration(url: TestReplica.url(database: database.name)).client],
            configuration: .init(maxLag: .seconds(3), interval: .milliseconds(200)),
            metrics: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()), logger: logger)
        let running = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await primary.run() }
                group.addTask { try? await reads.run() }
            }
        }
        defer { running.cancel() }
        @Sendable func onReplica() async throws -> Bool {
            try await reads.read { client in
                var standby = false
                for try await value in try await client.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self) { standby = value }
                return standby
            }
        }

        #expect(try await TestBroker.eventually(timeout: .seconds(30)) { try await onReplica() }, "never read from the replica")
        try await TestReplica.pauseReplay(true)
        _ = try await primary.query("CREATE TABLE replica_probe (n int)", logger: logger)
        #expect(try await TestBroker.eventually(timeout: .seconds(30)) { try await !onReplica() }, "a replica far behind kept serving")
        try await TestReplica.pauseReplay(false)
        #expect(try await TestBroker.eventually(timeout: .seconds(30)) { try await onReplica() }, "a caught-up replica was not used again")
        try await TestReplica.stop()
        #expect(try await !onReplica(), "a read on a dead replica is not answered by the primary")
    }

    static func replicaReads(_ metrics: Data) -> Double {
        let prefix = #"memgrid_database_reads_total{target="replica"} "#
        return String(decoding: metrics, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }
}
