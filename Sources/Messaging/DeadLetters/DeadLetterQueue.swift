public import Contracts
import Foundation

/// Lists, replays and purges the messages in memgrid's dead-letter queues
/// (`<prefix>.<queue>.dlq`) without losing one: each operation is one pass over each
/// queue visited (see `DeadLetterPass`), on a short-lived connection of its own thread.
/// A pass rewrites every message of the queue once, so its cost grows with the queue,
/// whatever the filter and limit.
///
/// One operation at a time on the broker, whichever process runs it: each holds the
/// exclusive queue `Topology.deadLetterLock` while it runs, and the next waits (at
/// most `lockTimeout`). Two passes at once would lose and duplicate nothing, but each
/// would see only part of a queue, so a list could be silently incomplete.
public struct DeadLetterQueue: Sendable {
    public enum Operation: String, Sendable {
        case list, replay, purge
    }

    /// What an operation found and did.
    public struct Report: Sendable {
        public var operation: Operation
        /// Dead letters looked at, in every queue visited.
        public var scanned = 0
        /// Dead letters that matched the filter, those beyond the limit included.
        public var matched = 0
        /// The selected dead letters (at most the limit): listed, replayed or purged,
        /// in queue order.
        public var letters: [DeadLetter] = []
        /// Selected for replay, but the publish failed: each is still a dead letter.
        public var failures: [Failure] = []

        public init(operation: Operation) {
            self.operation = operation
        }

        /// More dead letters matched than the limit let through.
        public var hasMore: Bool { matched > letters.count + failures.count }
    }

    public struct Failure: Sendable, Hashable {
        public var letter: DeadLetter
        /// Why the publish failed (unroutable, nacked, no confirm in time).
        public var error: String

        public init(letter: DeadLetter, error: String) {
            self.letter = letter
            self.error = error
        }
    }

    public let configuration: BrokerConfiguration
    public let topology: Topology
    /// Messages taken (the prefetch window) before waiting for the broker's confirms.
    public var batchSize: Int
    /// How long an operation waits for another one to finish before it fails with
    /// `BrokerError(.resourceLocked)`.
    public var lockTimeout: Duration

    public init(configuration: BrokerConfiguration, topology: Topology, batchSize: Int = 256, lockTimeout: Duration = .seconds(30)) {
        self.configuration = configuration
        self.topology = topology
        self.batchSize = max(1, batchSize)
        self.lockTimeout = lockTimeout
    }

    /// The dead letters matching `filter`, at most `limit`, in queue order; every
    /// message stays in its queue.
    /// - Parameters:
    ///   - queues: the work queues whose DLQs to read; nil: all of the topology's.
    ///   - bodies: include each selected message's body.
    public func list(
        queues: [JobQueue]? = nil, filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil, bodies: Bool = false
    ) async throws -> Report {
        try await run(.list, queues: queues, filter: filter, limit: limit, bodies: bodies)
    }

    /// Republishes the matching dead letters (at most `limit`) where they came from
    /// (`DeadLetter.replayTarget(in:)`), with the same message id and body so the
    /// handler's idempotency holds, and the attempt count reset. Each leaves its DLQ
    /// only once the broker confirmed its replay; a failed one stays
    /// (`Report.failures`).
    public func replay(
        queues: [JobQueue]? = nil, filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil
    ) async throws -> Report {
        try await run(.replay, queues: queues, filter: filter, limit: limit, bodies: false)
    }

    /// Removes the matching dead letters (at most `limit`); the others stay, unchanged
    /// and in order.
    public func purge(
        queues: [JobQueue]? = nil, filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil
    ) async throws -> Report {
        try await run(.purge, queues: queues, filter: filter, limit: limit, bodies: false)
    }

    private func run(
        _ operation: Operation, queues: [JobQueue]?, filter: DeadLetterFilter, limit: Int?, bodies: Bool
    ) async throws -> Report {
        let queues = queues ?? topology.queues
        let (topology, batchSize, timeout) = (self.topology, self.batchSize, configuration.publishTimeout)
        let action: DeadLetterPass.Action = switch operation {
        case .list: .keep
        case .replay: .replay
        case .purge: .drop
        }
        let admin = BrokerAdmin(configuration: configuration)
        return try await admin.run(holding: topology.deadLetterLock, waitingAtMost: lockTimeout) { connection throws(BrokerError) in
            let channel = try SynchronousChannel(connection: connection)
            var selection = DeadLetterPass.Selection(
                filter: filter, action: action, remaining: limit, includeBodies: bodies, now: Date())
            var report = Report(operation: operation)
            let passID = UUID().uuidString.lowercased()
            for queue in queues {
                let pass = DeadLetterPass(
                    channel: channel, topology: topology, queue: queue, passID: passID, batchSize: batchSize, timeout: timeout)
                try pass.run(&selection, into: &report)
            }
            return report
        }
    }
}
