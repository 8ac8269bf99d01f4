public import Foundation
import NIOSSL
public import PostgresNIO

/// PostgreSQL connection settings from a `postgres://user:password@host:port/db?sslmode=…`
/// URL. `sslmode` is `disable` (default, loopback), `prefer` or `require`.
public struct DatabaseConfiguration: Sendable {
    public var client: PostgresClient.Configuration

    public init(url: String, maxConnections: Int = 20) throws {
        guard let components = URLComponents(string: url),
              ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw StorageError(.invalidConfiguration, "expected postgres://user:password@host:port/database")
        }
        let database = String(components.path.dropFirst())
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw StorageError(.invalidConfiguration, "sslmode must be disable, prefer or require")
        }
        var client = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: tls)
        client.options.maximumConnections = maxConnections
        self.client = client
    }

    /// Sessions set for document search (`DocumentRepository.search`): the index's
    /// candidate list (`hnsw.ef_search`), and iterative scans, which keep a filtered
    /// search filling it (pgvector ≥ 0.8).
    public mutating func searchDocuments(candidates: Int) {
        client.options.additionalStartupParameters = [
            ("hnsw.iterative_scan", "relaxed_order"), ("hnsw.ef_search", String(candidates)),
        ]
    }
}
