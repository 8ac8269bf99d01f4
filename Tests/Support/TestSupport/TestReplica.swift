public import Foundation
import Logging
import PostgresNIO

/// The local stack's streaming standby of its PostgreSQL server (`scripts/stack.sh
/// replica`), for read-replica tests: made fresh with pg_basebackup on every start.
public enum TestReplica {
    public static func start() async throws { try await stack("start") }

    /// An immediate shutdown: to its clients, the standby died.
    public static func stop() async throws { try await stack("stop") }

    /// `database` on the standby.
    public static func url(database: String) -> String {
        var components = URLComponents(string: ScratchDatabase.adminURL)!
        components.port = Int(ProcessInfo.processInfo.environment["MEMGRID_STACK_REPLICA_PORT"] ?? "") ?? 35433
        components.path = "/\(database)"
        return components.string!
    }

    /// Stops or resumes applying the primary's changes: a paused standby falls behind.
    public static func pauseReplay(_ paused: Bool) async throws {
        try await ScratchDatabase().withClient(url: url(database: "postgres")) { client in
            _ = try await client.query(paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()", logger: Logger(label: "test.replica"))
        }
    }

    private static func stack(_ command: String) async throws {
        let script = ProcessInfo.processInfo.environment["MEMGRID_STACK_REPLICA"] ?? "scripts/stack.sh replica"
        try await StackScript.run("\(script) \(command)")
    }
}
