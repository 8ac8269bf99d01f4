import ArgumentParser
import Foundation
import Logging
import Storage
import WorkerRuntime

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys (stored hashed; a secret is shown once, at creation).",
        subcommands: [Create.self, List.self, Revoke.self])

    /// Runs `body` against the configured database (`MEMGRID_POSTGRES_URL`).
    static func withRepository<T: Sendable>(_ body: @Sendable (APIKeyRepository, Logger) async throws -> T) async throws -> T {
        try await AdminDatabase.with(label: "memgrid.keys") { client, logger in
            try await body(APIKeyRepository(client: client), logger)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key for a tenant (the tenant is created if new); prints the secret.")

        @Option(help: "Tenant id the key acts for.")
        var tenant: String

        @Option(help: "A label for listings.")
        var name = ""

        @Option(help: "Extra permission scopes, e.g. admin (repeatable).")
        var scope: [String] = []

        func validate() throws {
            guard (1...128).contains(tenant.count), tenant.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--tenant: 1 to 128 letters, digits, '-', '_' or '.'")
            }
        }

        func run() async throws {
            let (key, secret) = try await KeysCommand.withRepository { [tenant, name, scope] repository, logger in
                try await repository.create(tenantID: tenant, name: name, scopes: scope, logger: logger)
            }
            print(secret)
            FileHandle.standardError.write(Data("created key \(key.id) for tenant \(key.tenantID); store the secret now, it is not shown again\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @Option(help: "Only this tenant's keys.")
        var tenant: String?

        func run() async throws {
            let keys = try await KeysCommand.withRepository { [tenant] repository, logger in
                try await repository.list(tenantID: tenant, logger: logger)
            }
            print(["id", "tenant", "prefix", "name", "scopes", "created", "last_used", "revoked"].joined(separator: "\t"))
            for key in keys {
                let fields = [
                    key.id.uuidString.lowercased(), key.tenantID, key.prefix + "…", key.name, key.scopes.joined(separator: ","),
                    key.createdAt.formatted(.iso8601), key.lastUsedAt?.formatted(.iso8601) ?? "-",
                    key.revokedAt?.formatted(.iso8601) ?? "-",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id; gateways stop accepting it within their key cache time.")

        @Argument(help: "The key id (from `memgrid keys list`).")
        var id: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("not a key id: \(id)") }
            let revoked = try await KeysCommand.withRepository { repository, logger in
                try await repository.revoke(id: uuid, logger: logger)
            }
            guard revoked else { throw ValidationError("no active key with id \(id)") }
            print("revoked \(id)")
        }
    }
}
