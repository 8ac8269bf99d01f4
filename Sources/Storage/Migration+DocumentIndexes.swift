extension Migration {
    /// A statement that drops every space's document index and creates it again with
    /// `method`, a `format()` template: `%1$I` the index's name, `%2$s` the space's
    /// dimensions. For the migrations that change what the index is built on.
    static func rebuildingDocumentIndexes(_ method: String) -> String {
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
                    'CREATE INDEX %1$I ON embeddings USING hnsw \(method) WHERE space_id = %3$L AND target_kind = ''document''',
                    space.relname, space.dimensions, space.id);
            END LOOP;
        END $$
        """
    }
}
