public import Logging
public import PostgresNIO

/// Applies `Migration.all` once, under a PostgreSQL advisory lock, so any number of
/// processes may run `migrate` at the same time.
public struct Migrator: Sendable {
    /// Arbitrary constant identifying memgrid's migration lock.
    static let lockKey: Int64 = 0x6d656d67726964
    public let migrations: [Migration]

    public init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations
    }

    public var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// Applies pending migrations; returns the versions applied by this call.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS memgrid_schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let done = try await appliedVersions(on: connection, logger: logger)
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
            do {
                try await connection.withTransaction(logger: logger) { transaction in
                    for statement in migration.statements {
                        _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    _ = try await transaction.query(
                        "INSERT INTO memgrid_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                }
            } catch {
                throw StorageError(.migrationFailed, "migration \(migration.version) \(migration.name): \(String(reflecting: error))")
            }
            logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }

    private func appliedVersions(on connection: PostgresConnection, logger: Logger) async throws -> Set<Int> {
        var versions: Set<Int> = []
        for try await version in try await connection.query(
            "SELECT version FROM memgrid_schema_migrations", logger: logger
        ).decode(Int.self) {
            versions.insert(version)
        }
        return versions
    }

    /// The highest applied version, 0 on an empty database.
    public func currentVersion(_ client: PostgresClient, logger: Logger) async throws -> Int {
        // Two queries: a relation named in SQL must exist when the query is parsed.
        let exists = try await client.query("SELECT to_regclass('memgrid_schema_migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return 0 }
        let rows = try await client.query("SELECT coalesce(max(version), 0) FROM memgrid_schema_migrations", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    /// Throws if the database is older than this binary needs: workers refuse to run
    /// against it. A newer schema is fine (migrations are additive; rolling deploys
    /// migrate first, then replace the old binaries).
    public func requireCurrent(_ client: PostgresClient, logger: Logger) async throws {
        let current = try await currentVersion(client, logger: logger)
        if current < latestVersion {
            throw StorageError(.schemaTooOld, "database schema is at version \(current), this build needs \(latestVersion): run `memgrid migrate`")
        }
    }
}
