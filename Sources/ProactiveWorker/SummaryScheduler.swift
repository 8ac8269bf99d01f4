import Contracts
import Foundation
import Logging
import Messaging
import ServiceLifecycle
import Storage

/// Turns due (debounced) summary refreshes into `summarize.v1` jobs for the LLM workers.
/// The refresh row is deleted in the same transaction that waits for the broker's
/// confirm, so a crash leaves it to be taken again rather than lost.
final class SummaryScheduler: Service, Sendable {
    static let batch = 200

    private let refreshes: SummaryRefreshRepository
    private let publisher: Publisher
    private let topology: Topology
    private let configuration: ProactiveWorkerApp.Configuration
    private let clock: any WallClock
    private let logger: Logger

    init(
        refreshes: SummaryRefreshRepository, publisher: Publisher, topology: Topology,
        configuration: ProactiveWorkerApp.Configuration, clock: any WallClock, logger: Logger
    ) {
        self.refreshes = refreshes
        self.publisher = publisher
        self.topology = topology
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        await PollingLoop.run(interval: configuration.pollInterval) {
            do {
                return try await self.publishDue() == Self.batch
            } catch {
                self.logger.warning("summary pass failed; retrying", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
                return false
            }
        }
    }

    /// Publishes the refreshes due now; returns how many users it covered.
    @discardableResult
    func publishDue() async throws -> Int {
        let now = clock.now()
        return try await refreshes.takeDue(now: now, limit: Self.batch, logger: logger) { due in
            try await publisher.publish(try due.flatMap { Self.jobs(for: $0, at: now) }.map {
                try OutgoingMessage.job($0, topology: topology)
            })
        }
    }

    /// One job per `SummarizeJob.maxCategories` categories; ids from user and time, so a
    /// re-publish after a crash repeats the same ids.
    static func jobs(for due: SummaryRefreshRepository.Due, at now: Date) -> [JobEnvelope<SummarizeJob>] {
        let stamp = Int(now.timeIntervalSince1970 * 1000)
        return stride(from: 0, to: due.categories.count, by: SummarizeJob.maxCategories).map { start in
            let categories = Array(due.categories[start..<min(start + SummarizeJob.maxCategories, due.categories.count)])
            return JobEnvelope(
                id: "summarize:\(UserKey.of(tenantID: due.tenantID, userID: due.userID).prefix(24)):\(stamp):\(start)",
                tenantID: due.tenantID, createdAt: now, payload: SummarizeJob(userID: due.userID, categories: categories))
        }
    }
}
