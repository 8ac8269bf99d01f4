extension Migration {
    /// Each space's document index rebuilt over the vectors' sign bits
    /// (`EmbeddingSpaceRepository.buildIndex`): half the insert cost of the float graph,
    /// with searches re-ranking its candidates by exact cosine.
    static let v15BinaryDocumentIndex = Migration(version: 15, name: "binary document index", statements: [
        rebuildingDocumentIndexes("((binary_quantize(embedding::vector(%2$s))::bit(%2$s)) bit_hamming_ops)"),
    ])
}
