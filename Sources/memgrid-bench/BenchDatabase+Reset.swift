import Logging
import PostgresNIO
import Storage

extension BenchDatabase {
    /// Drops the database (closing its sessions) and creates it again: a run that must
    /// start from nothing.
    func recreate(adminURL: String, logger: Logger) async throws {
        try await DatabaseConfiguration.withClient(url: adminURL, maxConnections: 1, logger: logger) { client in
            // An identifier cannot be a bind parameter; `name` is one of ours, never input.
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
        }
        try await createIfMissing(adminURL: adminURL, logger: logger)
    }
}
