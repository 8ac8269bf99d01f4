extension Migration {
    /// Users with so many memory items and messages that an exact scan of their rows is
    /// too slow (`LargeUserRepository`): their vectors carry `large_user_id`, and each
    /// space gets a second partial HNSW index over just those rows
    /// (`EmbeddingSpaceRepository.userIndexMethod`), so the writes of everyone else never
    /// pay for a graph.
    static let v16LargeUsers = Migration(version: 16, name: "large users", statements: [
        """
        CREATE TABLE large_users (
            tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id     text NOT NULL,
            -- Row counts and mean lengths in lexemes of items and messages when last
            -- swept: the collection statistics of BM25, which a search of a large user no
            -- longer computes over all of their rows.
            items       integer NOT NULL DEFAULT 0,
            messages    integer NOT NULL DEFAULT 0,
            item_length    float8,
            message_length float8,
            promoted_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, user_id)
        )
        """,
        // The owner of a memory item's or message's vector, set only while the owner is a
        // large user: the predicate of the spaces' user indexes.
        "ALTER TABLE embeddings ADD COLUMN large_user_id text",
        """
        CREATE FUNCTION memgrid_mark_large_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM large_users WHERE tenant_id = NEW.tenant_id) THEN
                RETURN NEW;
            END IF;
            IF NEW.target_kind = 'memory_item' THEN
                SELECT l.user_id INTO NEW.large_user_id FROM memory_items m
                JOIN large_users l ON l.tenant_id = m.tenant_id AND l.user_id = m.user_id
                WHERE m.id = NEW.target_id AND m.tenant_id = NEW.tenant_id;
            ELSE
                SELECT l.user_id INTO NEW.large_user_id FROM memory_messages g
                JOIN large_users l ON l.tenant_id = g.tenant_id AND l.user_id = g.user_id
                WHERE g.id = NEW.target_id AND g.tenant_id = NEW.tenant_id;
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER embeddings_large_user BEFORE INSERT ON embeddings
        FOR EACH ROW WHEN (NEW.target_kind IN ('memory_item', 'message')) EXECUTE FUNCTION memgrid_mark_large_user()
        """,
        """
        DO $$
        DECLARE space record;
        BEGIN
            FOR space IN SELECT id, dimensions FROM embedding_spaces LOOP
                EXECUTE format(
                    'CREATE INDEX %I ON embeddings USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) '
                    'WITH (m = 24, ef_construction = 128) WHERE space_id = %L AND large_user_id IS NOT NULL',
                    'embeddings_users_' || left(encode(sha256(convert_to(space.id, 'UTF8')), 'hex'), 20),
                    space.dimensions, space.id);
            END LOOP;
        END $$
        """,
    ])
}
