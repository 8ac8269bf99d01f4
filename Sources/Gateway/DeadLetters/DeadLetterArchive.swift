public import Contracts
import Foundation
public import Logging
public import Messaging
import WorkerRuntime
public import Storage

/// The recorded dead letters (`DeadLetterRecorder`): listed and shown from PostgreSQL,
/// replayed and purged by the chosen rows only. The admin API (one tenant) and
/// `memgrid dlq` (operators, every tenant) both act through it.
public struct DeadLetterArchive: Sendable {
    /// Rows taken per transaction by replay and purge.
    static let batchSize = 256

    let repository: DeadLetterRepository
    let publisher: Publisher
    public let topology: Topology

    /// - Parameter publisher: started by the caller; only replay publishes.
    public init(repository: DeadLetterRepository, publisher: Publisher, topology: Topology) {
        self.repository = repository
        self.publisher = publisher
        self.topology = topology
    }

    public func list(_ filter: DeadLetterRepository.Filter, limit: Int, bodies: Bool = false, logger: Logger) async throws -> DeadLetterReport {
        let rows = try await repository.list(filter, limit: limit + 1, bodies: bodies, logger: logger)
        var report = DeadLetterReport(operation: .list)
        report.letters = rows.prefix(limit).map(Self.letter)
        report.hasMore = rows.count > limit
        return report
    }

    /// Publishes each matching dead letter (at most `limit`) where it came from, with its
    /// message id and body; a row leaves the archive only once the broker confirmed its
    /// replay. A batch whose publish failed stays, reported in `failures`.
    public func replay(_ filter: DeadLetterRepository.Filter, limit: Int?, logger: Logger) async throws -> DeadLetterReport {
        var report = DeadLetterReport(operation: .replay)
        try await takeAll(filter, limit: limit, logger: logger) { rows in
            let letters = rows.map(Self.letter)
            do {
                let messages = try zip(rows, letters).map { row, letter in
                    letter.replay(
                        properties: try JSONDecoder().decode(MessageProperties.self, from: Data(row.properties.utf8)),
                        body: row.body ?? Data(), in: topology)
                }
                try await publisher.publish(messages)
            } catch {
                logger.warning("dead-letter replay failed", metadata: ["error": "\(error)"])
                report.failures += letters.map { DeadLetterReport.Failure(letter: $0, error: "the broker did not confirm the replay") }
                return nil
            }
            report.letters += letters
            return Set(rows.map(\.seq))
        }
        return report
    }

    public func purge(_ filter: DeadLetterRepository.Filter, limit: Int?, logger: Logger) async throws -> DeadLetterReport {
        var report = DeadLetterReport(operation: .purge)
        try await takeAll(filter, limit: limit, logger: logger) { rows in
            report.letters += rows.map(Self.letter)
            return Set(rows.map(\.seq))
        }
        return report
    }

    /// Batches of rows until `limit`, the end, or a batch `act` could not handle (nil).
    private func takeAll(
        _ filter: DeadLetterRepository.Filter, limit: Int?, logger: Logger, act: ([DeadLetterRepository.Row]) async throws -> Set<Int64>?
    ) async throws {
        var remaining = limit ?? .max
        var stop = false
        while remaining > 0, !stop {
            let asked = min(Self.batchSize, remaining)
            let taken = try await repository.take(filter, limit: asked, logger: logger) { rows in
                guard let done = try await act(rows) else {
                    stop = true
                    return []
                }
                return done
            }
            remaining -= taken.count
            // A short batch: nothing more matches.
            if taken.count < asked { stop = true }
        }
    }

    private static func letter(_ row: DeadLetterRepository.Row) -> DeadLetter {
        DeadLetter(
            queue: JobQueue(row.queue), deadLetterQueue: row.deadLetterQueue, messageID: row.messageID, type: row.type,
            tenantID: row.tenantID, reason: row.reason, error: row.error, originalExchange: row.originalExchange,
            originalRoutingKey: row.originalRoutingKey, attempt: row.attempt, deadLetteredAt: row.deadLetteredAt,
            replays: row.replays, bodyBytes: row.bodyBytes, body: row.body)
    }
}
