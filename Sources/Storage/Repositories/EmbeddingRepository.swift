import Foundation
public import Logging
public import PostgresNIO

/// Writes vectors to pgvector: one multi-row upsert per batch, idempotent on
/// (space, tenant, target kind, target id), so a redelivered job never adds a row.
public struct EmbeddingRepository: Sendable {
    /// One vector to store, and, for documents, the text and metadata to keep with it.
    public struct Row: Sendable, Equatable {
        public enum TargetKind: String, Sendable { case memoryItem = "memory_item", document, message }

        public var tenantID: String
        public var targetKind: TargetKind
        public var targetID: String
        public var contentHash: String
        public var embedding: [Float]
        /// Stored in `documents` when the target is a document.
        public var text: String
        public var metadataJSON: String

        public init(
            tenantID: String, targetKind: TargetKind, targetID: String, contentHash: String,
            embedding: [Float], text: String, metadataJSON: String = "{}"
        ) {
            self.tenantID = tenantID
            self.targetKind = targetKind
            self.targetID = targetID
            self.contentHash = contentHash
            self.embedding = embedding
            self.text = text
            self.metadataJSON = metadataJSON
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Records a space. The first space ever registered (when `mayActivate`) becomes the
    /// one searches use, and gets its HNSW index now; a standby space fills
    /// without one, since building it once at the switch (`EmbeddingSpaceRepository.activate`)
    /// is far cheaper than growing it row by row during a re-embed. Idempotent.
    public func register(
        spaceID: String, model: String, revision: String, dimensions: Int, mayActivate: Bool = true, logger: Logger
    ) async throws {
        try await client.query("""
            INSERT INTO embedding_spaces (id, model, revision, dimensions) VALUES (\(spaceID), \(model), \(revision), \(dimensions))
            ON CONFLICT (id) DO NOTHING
            """, logger: logger)
        if mayActivate {
            try await client.query("""
                UPDATE embedding_spaces SET active = true
                WHERE id = \(spaceID) AND NOT EXISTS (SELECT 1 FROM embedding_spaces WHERE active)
                """, logger: logger)
        }
        let spaces = EmbeddingSpaceRepository(client: client)
        if try await spaces.isActive(spaceID, logger: logger) {
            try await spaces.buildIndex(spaceID: spaceID, dimensions: dimensions, logger: logger)
        }
    }

    /// Upserts every row (the last one wins for a repeated key) in one transaction.
    public func upsert(_ rows: [Row], spaceID: String, dimensions: Int, logger: Logger) async throws {
        var byKey: [String: Row] = [:]
        var order: [String] = []
        for row in rows {
            let key = "\(row.tenantID)\u{0}\(row.targetKind.rawValue)\u{0}\(row.targetID)"
            if byKey.updateValue(row, forKey: key) == nil { order.append(key) }
        }
        let unique = order.map { byKey[$0]! }
        guard !unique.isEmpty else { return }
        precondition(unique.allSatisfy { $0.embedding.count == dimensions }, "vector dimensions must match the space")

        // Vectors travel as pgvector text literals: slicing one flat float4[] per row
        // re-reads the whole array each time (quadratic), text stays linear.
        let vectors = unique.map { Self.literal($0.embedding) }
        let documents = unique.filter { $0.targetKind == .document }
        try await client.withTransaction(logger: logger) { connection in
            if !documents.isEmpty {
                try await connection.query("""
                    INSERT INTO documents (tenant_id, external_id, text, metadata, content_hash)
                    SELECT t, i, x, m::jsonb, h
                    FROM unnest(\(documents.map(\.tenantID)), \(documents.map(\.targetID)), \(documents.map(\.text)),
                                \(documents.map(\.metadataJSON)), \(documents.map(\.contentHash))) AS u(t, i, x, m, h)
                    ON CONFLICT (tenant_id, external_id) DO UPDATE
                    SET text = EXCLUDED.text, metadata = EXCLUDED.metadata, content_hash = EXCLUDED.content_hash, updated_at = now()
                    """, logger: logger)
            }
            try await connection.query("""
                INSERT INTO embeddings (space_id, tenant_id, target_kind, target_id, content_hash, embedding)
                SELECT \(spaceID), t, k, i, h, v::vector
                FROM unnest(\(unique.map(\.tenantID)), \(unique.map(\.targetKind.rawValue)), \(unique.map(\.targetID)),
                            \(unique.map(\.contentHash)), \(vectors)) AS u(t, k, i, h, v)
                ON CONFLICT (space_id, tenant_id, target_kind, target_id) DO UPDATE
                SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding, updated_at = now()
                """, logger: logger)
        }
    }

    /// `[0.1,-0.2,…]`, the shortest decimal that round-trips each float.
    public static func literal(_ vector: [Float]) -> String {
        var text = "["
        text.reserveCapacity(vector.count * 12)
        for (index, value) in vector.enumerated() {
            if index > 0 { text += "," }
            text += value.description
        }
        return text + "]"
    }
}
