import Logging
import PostgresNIO

extension PostgresConnection {
    /// Holds the user's lock until the transaction ends. Erasure, consolidation and
    /// summary writes of one user take turns under it, so none writes back what another
    /// has just removed. (The key predates summaries: changing it would let old and new
    /// processes of a rolling update overlap.)
    func lockUser(tenantID: String, userID: String, logger: Logger) async throws {
        try await query("""
            SELECT pg_advisory_xact_lock(hashtext('memgrid.consolidate:' || \(tenantID)), hashtext(\(userID)))
            """, logger: logger)
    }
}
