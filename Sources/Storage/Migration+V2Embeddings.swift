extension Migration {
    /// Embedding spaces, documents from integrations, and vectors per space.
    ///
    /// Vectors of every space share one table with an untyped `vector` column; each space
    /// gets its own partial HNSW index over `embedding::vector(dims)` when it is
    /// registered (`EmbeddingRepository.register`), so a search names its space and can
    /// never mix vectors of two models.
    static let v2Embeddings = Migration(version: 2, name: "embeddings", statements: [
        """
        CREATE TABLE embedding_spaces (
            id          text PRIMARY KEY,
            model       text NOT NULL,
            revision    text NOT NULL,
            dimensions  integer NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
            -- The space searches use; switching is a re-embed backfill, then a flip.
            active      boolean NOT NULL DEFAULT false,
            created_at  timestamptz NOT NULL DEFAULT now(),
            UNIQUE (model, revision, dimensions)
        )
        """,
        "CREATE UNIQUE INDEX embedding_spaces_one_active ON embedding_spaces (active) WHERE active",
        """
        CREATE TABLE documents (
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            external_id   text NOT NULL,
            text          text NOT NULL,
            metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
            content_hash  text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, external_id)
        )
        """,
        """
        CREATE TABLE embeddings (
            space_id      text NOT NULL REFERENCES embedding_spaces(id) ON DELETE CASCADE,
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            target_kind   text NOT NULL CHECK (target_kind IN ('memory_item', 'document')),
            target_id     text NOT NULL,
            -- SHA-256 (hex) of the embedded text: re-embedding unchanged text is skippable.
            content_hash  text NOT NULL,
            embedding     vector NOT NULL,
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (space_id, tenant_id, target_kind, target_id)
        )
        """,
    ])
}
