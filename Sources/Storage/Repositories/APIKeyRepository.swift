import Crypto
public import Foundation
public import Logging
public import PostgresNIO

/// Tenants' API keys. Only a SHA-256 digest of each key is stored: keys are 256-bit
/// random secrets, so a fast hash is enough and lookups stay one indexed read.
public struct APIKeyRepository: Sendable {
    /// A stored key, without its secret.
    public struct Key: Sendable, Equatable {
        public var id: UUID
        public var tenantID: String
        public var name: String
        /// The first characters of the secret, to recognise a key in listings.
        public var prefix: String
        public var scopes: [String]
        public var createdAt: Date
        public var lastUsedAt: Date?
        public var revokedAt: Date?
    }

    /// Who a request's key belongs to.
    public struct Principal: Sendable, Equatable {
        public var keyID: UUID
        public var tenantID: String
        public var scopes: [String]

        public init(keyID: UUID, tenantID: String, scopes: [String]) {
            self.keyID = keyID
            self.tenantID = tenantID
            self.scopes = scopes
        }
    }

    /// Keys start with this, so secret scanners and people recognise them.
    public static let secretPrefix = "mg_"

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Creates the tenant if it does not exist yet, then a key for it. The secret is
    /// returned once and never stored.
    public func create(tenantID: String, name: String, scopes: [String] = [], logger: Logger) async throws -> (key: Key, secret: String) {
        let secret = Self.secretPrefix + Self.randomToken()
        let id = UUID()
        let prefix = String(secret.prefix(Self.secretPrefix.count + 6))
        let createdAt = try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "INSERT INTO tenants (id, name) VALUES (\(tenantID), \(tenantID)) ON CONFLICT (id) DO NOTHING", logger: logger)
            let rows = try await connection.query("""
                INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes)
                VALUES (\(id), \(tenantID), \(name), \(prefix), \(Self.digest(secret)), \(scopes))
                RETURNING created_at
                """, logger: logger)
            for try await createdAt in rows.decode(Date.self) { return createdAt }
            throw StorageError(.notFound, "api key insert returned no row")
        }
        let key = Key(id: id, tenantID: tenantID, name: name, prefix: prefix, scopes: scopes, createdAt: createdAt)
        return (key, secret)
    }

    /// Keys of one tenant, or of every tenant when `tenantID` is nil; newest first.
    public func list(tenantID: String?, logger: Logger) async throws -> [Key] {
        let rows = try await client.query("""
            SELECT id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at
            FROM api_keys WHERE \(tenantID)::text IS NULL OR tenant_id = \(tenantID)
            ORDER BY created_at DESC, id
            """, logger: logger)
        var keys: [Key] = []
        for try await (id, tenant, name, prefix, scopes, createdAt, lastUsedAt, revokedAt) in rows.decode(
            (UUID, String, String, String, [String], Date, Date?, Date?).self)
        {
            keys.append(Key(
                id: id, tenantID: tenant, name: name, prefix: prefix, scopes: scopes,
                createdAt: createdAt, lastUsedAt: lastUsedAt, revokedAt: revokedAt))
        }
        return keys
    }

    /// Revokes a key; false if no such active key exists.
    public func revoke(id: UUID, logger: Logger) async throws -> Bool {
        let rows = try await client.query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// The principal of the active key with this digest (`digest(_:)`), or nil. A read
    /// only: an unknown key must cost no write.
    public func authenticate(digest: Data, logger: Logger) async throws -> Principal? {
        let rows = try await client.query(
            "SELECT id, tenant_id, scopes FROM api_keys WHERE key_hash = \(digest) AND revoked_at IS NULL", logger: logger)
        for try await (id, tenant, scopes) in rows.decode((UUID, String, [String]).self) {
            return Principal(keyID: id, tenantID: tenant, scopes: scopes)
        }
        return nil
    }

    /// Stamps `last_used_at` of keys seen since the last call, in one statement.
    public func touch(_ keyIDs: [UUID], logger: Logger) async throws {
        guard !keyIDs.isEmpty else { return }
        try await client.query("UPDATE api_keys SET last_used_at = now() WHERE id = ANY(\(keyIDs))", logger: logger)
    }

    public static func digest(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Whether `secret` has the shape of a key this repository creates (`mg_` and 52
    /// base32 characters): anything else is refused without a lookup.
    public static func isWellFormed(_ secret: String) -> Bool {
        let body = secret.utf8.dropFirst(secretPrefix.utf8.count)
        return secret.hasPrefix(secretPrefix) && body.count == 52
            && body.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "2")...UInt8(ascii: "7")).contains($0) }
    }

    /// 260 random bits as 52 lowercase base32 characters.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return String((0..<52).map { _ in alphabet[Int(generator.next(upperBound: UInt8(32)))] })
    }
}
