import Logging
import PostgresNIO
import Storage

/// A throwaway tenant for benchmarks on the real database; deleting it cascades to
/// everything stored for it.
struct ScratchTenant {
    let url: String
    let tenant: String
    let logger: Logger

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
