import Foundation
import Logging
import PostgresNIO
import Storage
import WorkerRuntime

/// A throwaway tenant for benchmarks on the real database; deleting it cascades to
/// everything stored for it.
struct ScratchTenant {
    let url: String
    let tenant: String
    let logger: Logger

    /// A new tenant `<name>-<8 hex digits>` in the database of `MEMGRID_POSTGRES_URL`, for a
    /// benchmark that talks to PostgreSQL alone, with its logger (`MEMGRID_LOG_LEVEL`,
    /// default warning).
    static func created(name: String) async throws -> ScratchTenant {
        let environment = EnvironmentReader()
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = try environment.choice("MEMGRID_LOG_LEVEL", default: .warning)
        let url = environment.string("MEMGRID_POSTGRES_URL", default: "postgres://memgrid@127.0.0.1:35432/memgrid")
        let scratch = ScratchTenant(url: url, tenant: "\(name)-\(UUID().uuidString.prefix(8).lowercased())", logger: logger)
        try await scratch.create()
        return scratch
    }

    func create() async throws {
        try await withClient { client in
            try await client.query("INSERT INTO tenants (id, name) VALUES (\(tenant), 'benchmark') ON CONFLICT DO NOTHING", logger: logger)
        }
    }

    func countEmbeddings() async throws -> Int {
        try await withClient { client in
            let rows = try await client.query("SELECT count(*)::int FROM embeddings WHERE tenant_id = \(tenant)", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    func drop() async throws {
        try await withClient { client in
            try await client.query("DELETE FROM tenants WHERE id = \(tenant)", logger: logger)
        }
    }

    private func withClient<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 1, logger: logger, body)
    }
}
