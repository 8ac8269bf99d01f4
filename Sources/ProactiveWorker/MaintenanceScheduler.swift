import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

/// Periodic maintenance, once per slot across all replicas. Time is cut into slots of
/// `maintenance.interval` (floored, from the injectable clock); every replica ticks, and
/// the one that claims a task's slot in `maintenance_runs` runs it:
///
/// - `consolidate`: one `consolidate.v1` job per user with memory items created since the
///   task's previous slot (its first run: one interval back) and before this one. The
///   jobs are published, broker-confirmed, inside the claim's transaction: a crash before
///   the commit leaves the slot to another replica, which publishes the same job ids.
/// - `expire` (only with a TTL configured): deletes items of the configured types whose
///   newest time is older than their TTL, in batches that commit one by one; the claim
///   commits when all are done, so a crash mid-way lets another replica finish the slot.
/// - `large-users`: promotes the users with rows created since the task's previous slot
///   (its first run: every user) who now hold `largeUserRows` items and messages
///   (`LargeUserRepository`), and sweeps those promoted in the slot before, whose vectors
///   written during their promotion may lack the mark.
final class MaintenanceScheduler: Service, Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case consolidate, expire
        case largeUsers = "large-users"
    }

    static let publishBatch = 500
    static let expiryBatch = 1000

    private let runs: MaintenanceRepository
    private let consolidation: ConsolidationRepository
    private let largeUsers: LargeUserRepository
    private let publisher: Publisher
    private let topology: Topology
    private let configuration: ProactiveWorkerApp.Configuration.Maintenance
    private let clock: any WallClock
    private let owner: String
    private let logger: Logger
    /// The slot each task was last settled for by this replica (run here or elsewhere).
    private let settled = Mutex<[Kind: Date]>([:])
    /// Per memory type with a TTL (a handful of label values).
    private let expired: [String: Counter]
    private let runsCounter: Counter
    private let jobsPublished: Counter

    init(
        runs: MaintenanceRepository, consolidation: ConsolidationRepository, largeUsers: LargeUserRepository, publisher: Publisher,
        topology: Topology, configuration: ProactiveWorkerApp.Configuration.Maintenance, clock: any WallClock, owner: String,
        factory: any MetricsFactory, logger: Logger
    ) {
        runsCounter = Counter(label: "memgrid_maintenance_runs_total", factory: factory)
        jobsPublished = Counter(label: "memgrid_consolidation_jobs_published_total", factory: factory)
        self.runs = runs
        self.consolidation = consolidation
        self.largeUsers = largeUsers
        self.publisher = publisher
        self.topology = topology
        self.configuration = configuration
        self.clock = clock
        self.owner = owner
        self.logger = logger
        expired = Dictionary(uniqueKeysWithValues: configuration.timeToLive.keys.map {
            ($0, Counter(label: "memgrid_memories_expired_total", dimensions: [("type", $0)], factory: factory))
        })
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await tick()
            } catch {
                logger.warning("maintenance pass failed; retrying", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
            }
            // Wake at the next slot; at least every minute, so a clock that jumps is followed.
            let next = Self.slot(containing: clock.now(), interval: configuration.interval)
                .addingTimeInterval(configuration.interval.timeInterval)
            let wait = min(max(next.timeIntervalSince(clock.now()), 1), 60)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
        }
    }

    /// Runs every task whose current slot this replica has not settled yet. Returns the
    /// tasks this replica claimed, with their unit counts.
    @discardableResult
    func tick() async throws -> [Kind: Int] {
        let now = clock.now()
        let slot = Self.slot(containing: now, interval: configuration.interval)
        var done: [Kind: Int] = [:]
        for task in Kind.allCases where settled.withLock({ $0[task] }) != slot {
            let units: Int?
            switch task {
            case .consolidate: units = try await consolidate(slot: slot, now: now)
            case .expire: units = configuration.timeToLive.isEmpty ? nil : try await expire(slot: slot, now: now)
            case .largeUsers: units = try await promoteLargeUsers(slot: slot, now: now)
            }
            settled.withLock { $0[task] = slot }
            if let units {
                done[task] = units
                runsCounter.increment()
                logger.info("maintenance run done", metadata: [
                    "maintenance.task": "\(task.rawValue)", "maintenance.slot": "\(slot)", "maintenance.units": "\(units)",
                ])
            }
        }
        return done
    }

    /// The start of the slot `date` falls in: time since the epoch floored to `interval`.
    static func slot(containing date: Date, interval: Duration) -> Date {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let length = max(1, interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
        let floored = milliseconds >= 0 ? milliseconds / length * length : -((-milliseconds + length - 1) / length) * length
        return Date(timeIntervalSince1970: Double(floored) / 1000)
    }

    /// `consolidate.v1` ids: slot, tenant and user, so a re-published slot repeats them;
    /// hashed when the readable form would not fit a message id.
    static func jobID(slot: Date, tenantID: String, userID: String) -> String {
        let stamp = Date.ISO8601FormatStyle().format(slot)
        let readable = "consolidate:\(stamp):\(tenantID):\(userID)"
        if readable.utf8.count <= JobEnvelope<ConsolidateJob>.maxIDLength { return readable }
        return "consolidate:\(stamp):\(UserKey.of(tenantID: tenantID, userID: userID))"
    }

    private func consolidate(slot: Date, now: Date) async throws -> Int? {
        try await runs.claim(task: Kind.consolidate.rawValue, slot: slot, owner: owner, now: now, logger: logger) { claim in
            let since = claim.previousSlot ?? slot.addingTimeInterval(-configuration.interval.timeInterval)
            let jobs = try await consolidation.usersWithNewItems(from: since, to: slot, logger: logger).map { tenant, user in
                JobEnvelope(
                    id: Self.jobID(slot: slot, tenantID: tenant, userID: user), tenantID: tenant, createdAt: slot,
                    payload: ConsolidateJob(userID: user))
            }
            for start in stride(from: 0, to: jobs.count, by: Self.publishBatch) {
                let batch = jobs[start..<min(start + Self.publishBatch, jobs.count)]
                try await publisher.publish(try batch.map { try OutgoingMessage.job($0, topology: topology) })
                jobsPublished.increment(by: batch.count)
            }
            return jobs.count
        }
    }

    private func expire(slot: Date, now: Date) async throws -> Int? {
        try await runs.claim(task: Kind.expire.rawValue, slot: slot, owner: owner, now: now, logger: logger) { _ in
            var total = 0
            for (type, ttl) in configuration.timeToLive.sorted(by: { $0.key < $1.key }) {
                // Measured from the slot, so every replica would cut at the same instant.
                let cutoff = slot.addingTimeInterval(-ttl.timeInterval)
                while true {
                    let deleted = try await consolidation.expire(type: type, before: cutoff, limit: Self.expiryBatch, logger: logger)
                    total += deleted
                    expired[type]?.increment(by: deleted)
                    if deleted < Self.expiryBatch || Task.isShuttingDownGracefully { break }
                }
            }
            return total
        }
    }

    private func promoteLargeUsers(slot: Date, now: Date) async throws -> Int? {
        try await runs.claim(task: Kind.largeUsers.rawValue, slot: slot, owner: owner, now: now, logger: logger) { claim in
            let interval = configuration.interval.timeInterval
            for (tenant, user) in try await largeUsers.promoted(since: slot.addingTimeInterval(-2 * interval), logger: logger) {
                _ = try await largeUsers.sweep(tenantID: tenant, userID: user, logger: logger)
            }
            let crossing = try await largeUsers.crossing(
                threshold: configuration.largeUserRows, from: claim.previousSlot, to: slot, logger: logger)
            try await largeUsers.promote(crossing, logger: logger)
            for (tenant, user) in crossing {
                logger.info("user promoted to the large-user index", metadata: ["tenant.id": "\(tenant)", "user.id": "\(user)"])
            }
            return crossing.count
        }
    }
}
