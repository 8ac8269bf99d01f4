public import Foundation
public import Logging
public import PostgresNIO
import Storage

/// Each test gets its own database, created on the local stack's server and dropped after.
public struct ScratchDatabase: Sendable {
    public init() {}

    public let name = "memgrid_test_\(UUID().uuidString.prefix(8).lowercased())"
    public let logger = Logger(label: "test.storage")

    public static var adminURL: String {
        ProcessInfo.processInfo.environment["MEMGRID_POSTGRES_URL"] ?? "postgres://memgrid@127.0.0.1:35432/memgrid"
    }

    public var url: String {
        var components = URLComponents(string: Self.adminURL)!
        components.path = "/\(name)"
        return components.string!
    }

    public func withClient<T: Sendable>(url: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await DatabaseConfiguration.withClient(url: url, maxConnections: 4, logger: logger, body)
    }

    public func create() async throws {
        try await withClient(url: Self.adminURL) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
    }

    public func drop() async {
        _ = try? await withClient(url: Self.adminURL) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}


extension ScratchDatabase {
    /// Creates the database and applies every migration.
    public func createMigrated() async throws {
        try await create()
        try await withClient(url: url) { client in
            try await Migrator().migrate(client, logger: logger)
        }
    }

    /// Runs one SQL statement on this database.
    public func execute(_ sql: String) async throws {
        try await withClient(url: url) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}
