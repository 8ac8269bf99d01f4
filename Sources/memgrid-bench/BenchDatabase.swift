import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Storage

/// A database of its own for a benchmark (`memgrid_bench_…` beside the stack's),
/// created on first use and kept, so expensive fixtures survive between runs.
struct BenchDatabase {
    let name: String

    /// The URL of this database on the server that `adminURL` points at.
    func url(adminURL: String) throws -> String {
        guard var components = URLComponents(string: adminURL) else { throw ValidationError("bad MEMGRID_POSTGRES_URL") }
        components.path = "/" + name
        return components.string!
    }

    func createIfMissing(adminURL: String, logger: Logger) async throws {
        try await DatabaseConfiguration.withClient(url: adminURL, maxConnections: 1, logger: logger) { client in
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger).decode(Int.self) {
                exists = true
            }
            // An identifier cannot be a bind parameter; `name` is one of ours, never input.
            if !exists { try await client.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
        }
    }
}
