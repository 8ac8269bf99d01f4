import Cache
import Contracts
import Foundation
import Logging
import Metrics
import Prometheus
import Testing
import TestSupport
@testable import WorkerRuntime

/// Heartbeats against the real Redis (docs/dashboard.md): each test writes under its own prefix.
@Suite("Heartbeats", .serialized)
struct HeartbeatTests {
    static let redisURL = TestRedis.url
    let logger = Logger(label: "test.heartbeat")

    func makeService(
        redis: RedisClient, prefix: String, readiness: Readiness, registry: PrometheusCollectorRegistry, interval: Duration
    ) -> HeartbeatService {
        HeartbeatService(
            configuration: .init(role: "embed-worker", queue: "embed", instance: "host-a:42", prefix: prefix, interval: interval),
            redis: redis, readiness: readiness, registry: registry, logger: logger)
    }

    @Test("a beat carries role, readiness and the registry's counters, and expires after three missed intervals")
    func appearsAndExpires() async throws {
        let redis = RedisClient(configuration: try .init(url: Self.redisURL))
        let prefix = "test-hb-\(UUID().uuidString.prefix(8))"
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let metrics = WorkerMetrics(queue: "embed", factory: factory)
        metrics.consumed.increment(by: 3)
        metrics.deadLettered[DeadLetterReason.malformed.rawValue]?.increment()
        metrics.deadLettered[DeadLetterReason.invalid.rawValue]?.increment(by: 2)
        Counter(label: "memgrid_not_in_heartbeats_total", factory: factory).increment()
        let readiness = Readiness()
        readiness.add("broker") { true }
        readiness.add("model_warm") { false }
        // Beats far apart enough that a machine busy with the parallel suites (which can
        // hold this task off the CPU for seconds) does not let a key expire unseen.
        let service = makeService(redis: redis, prefix: prefix, readiness: readiness, registry: registry, interval: .seconds(2))
        let store = HeartbeatStore(redis: redis, prefix: prefix)

        let running = Task { try await service.run() }
        var beats: [Heartbeat] = []
        let appeared = try await TestBroker.eventually {
            beats = try await store.readAll()
            return !beats.isEmpty
        }
        #expect(appeared)
        let beat = try #require(beats.first)
        #expect(beats.count == 1)
        #expect(beat.role == "embed-worker" && beat.instance == "host-a:42" && beat.queue == "embed")
        #expect(beat.ready == false)
        #expect(beat.checks == ["broker": true, "model_warm": false])
        #expect(beat.counters[Heartbeat.Counter.consumed] == 3)
        #expect(beat.counters[Heartbeat.Counter.deadLettered] == 3, "summed over the reason label")
        #expect(beat.counters[Heartbeat.Counter.acked] == 0)
        #expect(beat.counters["memgrid_not_in_heartbeats_total"] == nil)

        // Later beats carry later counts.
        metrics.consumed.increment()
        let advanced = try await TestBroker.eventually {
            try await store.readAll().first?.counters[Heartbeat.Counter.consumed] == 4
        }
        #expect(advanced)

        // Each beat's key lives three intervals (6 s), so a stopped sender vanishes on
        // its own; read from Redis rather than timed, which a busy machine would skew.
        let ttl = try await redis.send("PTTL", store.key(beat.id)).integer ?? -2
        #expect(ttl > 0 && ttl <= 6000, "PTTL \(ttl) ms")
        running.cancel()
        _ = try? await running.value
        let gone = try await TestBroker.eventually { try await store.readAll().isEmpty }
        #expect(gone)
        _ = try await redis.del([store.indexKey])
        await redis.shutdown()
    }

    @Test("with Redis down the beats are skipped without failing, and resume when it is back")
    func redisDown() async throws {
        let server = try PrivateRedisServer()
        server.crash()
        let redis = RedisClient(configuration: try .init(url: "redis://127.0.0.1:\(server.port)"))
        let readiness = Readiness()
        readiness.add("broker") { true }
        let service = makeService(redis: redis, prefix: "test-hb", readiness: readiness, registry: PrometheusCollectorRegistry(), interval: .milliseconds(200))
        let running = Task { try await service.run() }
        // A few beats fail meanwhile.
        try await Task.sleep(for: .milliseconds(700))

        try server.start()
        let store = HeartbeatStore(redis: redis, prefix: "test-hb")
        let resumed = await TestBroker.eventually(timeout: .seconds(10)) {
            (try? await store.readAll().first?.ready) == true
        }
        #expect(resumed)
        running.cancel()
        try await running.value
        await redis.shutdown()
        server.crash()
    }
}
