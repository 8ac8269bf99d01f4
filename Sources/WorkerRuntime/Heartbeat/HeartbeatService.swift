public import Cache
import Foundation
public import Logging
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// Writes this process's `Heartbeat` to Redis every `interval` (docs/dashboard.md). A
/// failed write is skipped and logged once until a write succeeds again: Redis being
/// down never stops the process or fails a probe.
public final class HeartbeatService: Service, Sendable {
    public struct Configuration: Sendable {
        public var role: String
        public var queue: String?
        public var instance: String
        public var prefix: String
        /// 0 = no heartbeats.
        public var interval: Duration

        public init(role: String, queue: String?, instance: String = Heartbeat.localInstance(), prefix: String, interval: Duration) {
            self.role = role
            self.queue = queue
            self.instance = instance
            self.prefix = prefix
            self.interval = interval
        }

        /// A key outlives three missed beats.
        public var ttl: Duration { interval * 3 }
    }

    public let configuration: Configuration
    private let store: HeartbeatStore
    private let readiness: Readiness
    private let registry: PrometheusCollectorRegistry
    private let startedAt = Date()
    private let failing = Mutex(false)
    private let logger: Logger

    public init(
        configuration: Configuration, redis: RedisClient, readiness: Readiness, registry: PrometheusCollectorRegistry,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = HeartbeatStore(redis: redis, prefix: configuration.prefix)
        self.readiness = readiness
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
        guard configuration.interval > .zero else { return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.beat()
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// The beat as it would be sent now.
    public func current() async -> Heartbeat {
        let checks = await readiness.evaluate()
        return Heartbeat(
            role: configuration.role, instance: configuration.instance, queue: configuration.queue, startedAt: startedAt,
            sentAt: Date(), ready: checks.allSatisfy(\.ready),
            checks: Dictionary(checks.map { ($0.name, $0.ready) }, uniquingKeysWith: { $0 && $1 }),
            counters: registry.totals(of: Heartbeat.counterNames))
    }

    func beat() async {
        do {
            try await store.write(await current(), ttl: configuration.ttl)
            if failing.withLock({ state in defer { state = false }; return state }) {
                logger.info("heartbeats resumed")
            }
        } catch {
            if !failing.withLock({ state in defer { state = true }; return state }) {
                logger.warning("heartbeat not written; skipping until Redis answers", metadata: ["error": "\(error)"])
            }
        }
    }
}
