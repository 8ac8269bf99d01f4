public import Foundation
public import Logging
public import PostgresNIO

/// Each tenant's webhook: where proactive events are POSTed, and the key they are signed with.
public struct WebhookRepository: Sendable {
    public struct Webhook: Sendable, Equatable {
        public var tenantID: String
        public var url: String
        public var secret: String
        /// The event types it receives (`proactive.reminder`, `memory.updated`…).
        public var events: [String]
        public var createdAt: Date
        public var updatedAt: Date
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Creates or replaces the tenant's webhook. An unknown tenant throws `.notFound`.
    @discardableResult
    public func set(tenantID: String, url: String, secret: String, events: [String], logger: Logger) async throws -> Webhook {
        do {
            return try await webhooks("""
                INSERT INTO tenant_webhooks (tenant_id, url, secret, events) VALUES (\(tenantID), \(url), \(secret), \(events))
                ON CONFLICT (tenant_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, events = EXCLUDED.events,
                                                      updated_at = now()
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)[0]
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StorageError(.notFound, "the tenant does not exist; it is created with its first API key")
        }
    }

    public func get(tenantID: String, logger: Logger) async throws -> Webhook? {
        try await webhooks(
            "SELECT \(unescaped: Self.columns) FROM tenant_webhooks WHERE tenant_id = \(tenantID)",
            logger: logger
        ).first
    }

    /// Deletes the tenant's webhook; false if there was none.
    public func remove(tenantID: String, logger: Logger) async throws -> Bool {
        try await !webhooks(
            "DELETE FROM tenant_webhooks WHERE tenant_id = \(tenantID) RETURNING \(unescaped: Self.columns)",
            logger: logger
        ).isEmpty
    }

    /// Whether the tenant's webhook receives events of this type (`memory.deleted`).
    public func subscribes(tenantID: String, to eventType: String, logger: Logger) async throws -> Bool {
        for try await _ in try await client.query(
            "SELECT 1 FROM tenant_webhooks WHERE tenant_id = \(tenantID) AND \(eventType) = ANY(events)", logger: logger)
        {
            return true
        }
        return false
    }

    private static let columns = "tenant_id, url, secret, events, created_at, updated_at"

    private func webhooks(_ query: PostgresQuery, logger: Logger) async throws -> [Webhook] {
        var found: [Webhook] = []
        for try await (tenant, url, secret, events, created, updated) in try await client.query(query, logger: logger)
            .decode((String, String, String, [String], Date, Date).self)
        {
            found.append(Webhook(tenantID: tenant, url: url, secret: secret, events: events, createdAt: created, updatedAt: updated))
        }
        return found
    }
}
