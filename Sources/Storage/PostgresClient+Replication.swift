public import Logging
public import PostgresNIO

extension PostgresClient {
    /// Where the primary's write-ahead log ends now (`16/B374D848`).
    public func currentWALPosition(logger: Logger) async throws -> String {
        for try await position in try await query("SELECT pg_current_wal_lsn()::text", logger: logger).decode(String.self) {
            return position
        }
        throw StorageError(.notFound, "pg_current_wal_lsn() returned no row")
    }

    /// How far a streaming standby is behind: zero once it has replayed `position` (read
    /// from the primary just before), else the age of the last transaction it replayed,
    /// and nil when it has replayed none since it started. A server that is not a standby
    /// is never behind.
    public func replicationLag(behind position: String, logger: Logger) async throws -> Duration? {
        let rows = try await query("""
            SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= \(position)::pg_lsn,
                   extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
            """, logger: logger)
        for try await (caughtUp, age) in rows.decode((Bool, Double?).self) {
            if caughtUp { return .zero }
            return age.map { .milliseconds(Int64($0 * 1000)) }
        }
        return nil
    }
}
