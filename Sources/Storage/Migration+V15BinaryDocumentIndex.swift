extension Migration {
    /// Each space's document index rebuilt over the vectors' sign bits
    /// (`EmbeddingSpaceRepository.buildIndex`): half the insert cost of the float graph,
    /// with searches re-ranking its candidates by exact cosine.
    static let v15BinaryDocumentIndex = Migration(version: 15, name: "binary document index", statements: [
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
                    'CREATE INDEX %I ON embeddings USING hnsw ((binary_quantize(embedding::vector(%s))::bit(%s)) bit_hamming_ops) '
                    'WHERE space_id = %L AND target_kind = ''document''', space.relname, space.dimensions, space.dimensions, space.id);
            END LOOP;
        END $$
        """,
    ])
}
