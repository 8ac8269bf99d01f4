public import Foundation
public import Logging
public import PostgresNIO

/// Claimable runs of scheduled maintenance tasks (`maintenance_runs`): one row per
/// (task, slot). Every replica ticks; the one whose insert wins runs the slot, so each run
/// happens once however many replicas there are.
///
/// The claim is an `INSERT … ON CONFLICT DO NOTHING` inside a transaction that stays open
/// while the work runs. A competing replica's insert waits on the uncommitted row: if the
/// winner commits, the loser sees the conflict and skips; if the winner dies (or its work
/// throws) the row is rolled back and the waiting replica takes the slot.
public struct MaintenanceRepository: Sendable {
    /// A slot a replica won: what it runs, and where the previous run of the task left off.
    public struct Claim: Sendable, Equatable {
        public var task: String
        public var slot: Date
        /// The latest earlier slot of this task that was claimed, if any.
        public var previousSlot: Date?
    }

    public struct Run: Sendable, Equatable {
        public var task: String
        public var slot: Date
        public var claimedBy: String
        public var finishedAt: Date?
        public var units: Int?
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Claims `(task, slot)` for `owner` and runs `work` on the claim's connection, inside
    /// its transaction; the run is recorded as finished with the unit count `work`
    /// returns, and committed only if it returns. Returns nil (without calling `work`)
    /// when another replica holds or has finished the slot.
    public func claim(
        task: String, slot: Date, owner: String, now: Date, logger: Logger,
        _ work: (Claim) async throws -> Int
    ) async throws -> Int? {
        try await client.withTransaction(logger: logger) { connection in
            let claimed = try await connection.query("""
                INSERT INTO maintenance_runs (task, slot, claimed_by, claimed_at) VALUES (\(task), \(slot), \(owner), \(now))
                ON CONFLICT (task, slot) DO NOTHING
                RETURNING (SELECT max(slot) FROM maintenance_runs WHERE task = \(task) AND slot < \(slot))
                """, logger: logger)
            var claim: Claim?
            for try await previous in claimed.decode(Date?.self) {
                claim = Claim(task: task, slot: slot, previousSlot: previous)
            }
            guard let claim else { return nil }
            let units = try await work(claim)
            try await connection.query("""
                UPDATE maintenance_runs SET finished_at = \(now), units = \(units) WHERE task = \(task) AND slot = \(slot)
                """, logger: logger)
            return units
        }
    }

    /// Runs of a task, newest slot first.
    public func runs(task: String, limit: Int = 100, logger: Logger) async throws -> [Run] {
        let rows = try await client.query("""
            SELECT task, slot, claimed_by, finished_at, units FROM maintenance_runs WHERE task = \(task)
            ORDER BY slot DESC LIMIT \(limit)
            """, logger: logger)
        var runs: [Run] = []
        for try await (task, slot, owner, finishedAt, units) in rows.decode((String, Date, String, Date?, Int?).self) {
            runs.append(Run(task: task, slot: slot, claimedBy: owner, finishedAt: finishedAt, units: units))
        }
        return runs
    }
}
