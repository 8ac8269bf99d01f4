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
        // Index names are `embeddings_hnsw_` + the first 10 bytes of SHA-256(space id), hex.
        """
        DO $$
        DECLARE space record;
        BEGIN
            FOR space IN
                SELECT s.id, s.dimensions, c.relname FROM embedding_spaces s
                JOIN pg_class c ON c.relname = 'embeddings_hnsw_' || left(encode(sha256(convert_to(s.id, 'UTF8')), 'hex'), 20)
            LOOP
                EXECUTE format('DROP INDEX %I', space.relname);
                EXECUTE format(
                    'CREATE INDEX %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) '
                    'WHERE space_id = %L AND target_kind = ''document''', space.relname, space.dimensions, space.id);
            END LOOP;
        END $$
        """,
    ])
}
