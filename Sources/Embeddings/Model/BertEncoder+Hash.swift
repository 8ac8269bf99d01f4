extension BertEncoder {
    /// A content hash of a weights file: FNV-1a 64 over every byte, 16 hex digits.
    /// Identifies the weights for `EmbeddingSpace.revision`; it is not a cryptographic
    /// digest.
    static func contentHash(of file: SafeTensors) -> String {
        var hash = FNV1a64()
        hash.update(file.fileBytes)
        return hash.hexDigest
    }
}
