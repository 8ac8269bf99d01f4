import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

@Suite("Migrations against the real PostgreSQL")
struct MigratorTests {
    @Test("migrate applies everything once; a second run applies nothing")
    func idempotent() async throws {
        let database = ScratchDatabase()
        try await database.create()
        defer { Task { await database.drop() } }
        let migrator = Migrator()
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            #expect(try await migrator.currentVersion(client, logger: logger) == 0)
            await #expect(throws: StorageError.self) { try await migrator.requireCurrent(client, logger: logger) }
            #expect(try await migrator.migrate(client, logger: logger) == Migration.all.map(\.version))
            #expect(try await migrator.migrate(client, logger: logger) == [])
            #expect(try await migrator.currentVersion(client, logger: logger) == migrator.latestVersion)
            try await migrator.requireCurrent(client, logger: logger)

            // The schema is really there: pgvector and the first tables.
            let rows = try await client.query("""
                SELECT count(*)::int FROM information_schema.tables
                WHERE table_schema = 'public' AND table_name IN ('tenants', 'api_keys', 'jobs')
                """, logger: logger)
            for try await count in rows.decode(Int.self) { #expect(count == 3) }
            let vector = try await client.query("SELECT '[1,2,3]'::vector::text", logger: logger)
            for try await text in vector.decode(String.self) { #expect(text == "[1,2,3]") }
        }
    }

    @Test("concurrent migrate calls from separate clients apply each migration exactly once")
    func concurrent() async throws {
        let database = ScratchDatabase()
        try await database.create()
        defer { Task { await database.drop() } }
        let logger = database.logger
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await database.withClient(url: database.url) { client in
                        try await Migrator().migrate(client, logger: logger)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == Migration.all.map(\.version).sorted())
        try await database.withClient(url: database.url) { client in
            let rows = try await client.query("SELECT count(*)::int FROM memgrid_schema_migrations", logger: logger)
            for try await count in rows.decode(Int.self) { #expect(count == Migration.all.count) }
        }
    }

    /// v7 gained `memory_messages.context` after it had shipped; a database migrated with
    /// the first v7 lacked it and every memorize failed. v12 adds it there.
    @Test("a database migrated with the first v7 gets memory_messages.context from v12")
    func messageContextAfterTheFirstV7() async throws {
        let database = ScratchDatabase()
        try await database.create()
        defer { Task { await database.drop() } }
        let logger = database.logger
        try await database.withClient(url: database.url) { client in
            _ = try await Migrator(migrations: Migration.all.filter { $0.version <= 11 }).migrate(client, logger: logger)
            try await client.query("ALTER TABLE memory_messages DROP COLUMN context", logger: logger)
            #expect(try await Migrator(migrations: Migration.all.filter { $0.version <= 12 }).migrate(client, logger: logger) == [12])
            let rows = try await client.query("""
                SELECT count(*)::int FROM information_schema.columns
                WHERE table_name = 'memory_messages' AND column_name = 'context'
                """, logger: logger)
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test("a failing migration rolls back and reports which one failed")
    func failingMigration() async throws {
        let database = ScratchDatabase()
        try await database.create()
        defer { Task { await database.drop() } }
        let logger = database.logger
        let broken = Migrator(migrations: Migration.all + [
            Migration(version: 999, name: "broken", statements: ["CREATE TABLE half_done (id int)", "SELECT no_such_function()"]),
        ])
        try await database.withClient(url: database.url) { client in
            let error = await #expect(throws: StorageError.self) { try await broken.migrate(client, logger: logger) }
            #expect(error?.code == .migrationFailed)
            #expect(error?.message.contains("999 broken") == true)
            #expect(try await broken.currentVersion(client, logger: logger) == Migrator().latestVersion)
            let rows = try await client.query("SELECT to_regclass('half_done') IS NULL", logger: logger)
            for try await missing in rows.decode(Bool.self) { #expect(missing) }
        }
    }

    @Test("database URLs parse, and bad ones fail clearly", arguments: [
        ("postgres://u:p%40ss@db.example:6543/mem?sslmode=disable", true),
        ("postgresql://u@localhost/mem", true),
        ("mysql://u@localhost/mem", false),
        ("postgres://u@localhost/mem?sslmode=verify-full", false),
    ])
    func urls(url: String, valid: Bool) {
        #expect(((try? DatabaseConfiguration(url: url)) != nil) == valid)
    }
}
