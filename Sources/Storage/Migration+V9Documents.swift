extension Migration {
    /// Documents searchable through the API: their words (`lexemes`, as for memory items
    /// and messages) and a listing order per tenant; each space's HNSW index rebuilt over
    /// its documents only (`EmbeddingSpaceRepository.buildIndex`).
    static let v9Documents = Migration(version: 9, name: "documents", statements: [
        """
        ALTER TABLE documents ADD COLUMN lexemes tsvector NOT NULL
            GENERATED ALWAYS AS (to_tsvector('english', memgrid_search_text(text))) STORED
        """,
        "CREATE INDEX documents_lexemes ON documents USING gin (lexemes)",
        // Listing pages walk (created_at, external_id) backwards per tenant.
        "CREATE INDEX documents_tenant_created ON documents (tenant_id, created_at DESC, external_id DESC)",
        rebuildingDocumentIndexes("((embedding::vector(%2$s)) vector_cosine_ops)"),
    ])
}
