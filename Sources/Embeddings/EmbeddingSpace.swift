/// An embedding space: vectors from different spaces are never compared. Changing the
/// model (or its weights) means a new space, filled by a re-embed backfill.
public struct EmbeddingSpace: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Model id, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    public var model: String
    /// A hash of the weights (local models) or the provider's model version.
    public var revision: String
    public var dimensions: Int

    public init(model: String, revision: String, dimensions: Int) {
        self.model = model
        self.revision = revision
        self.dimensions = dimensions
    }

    /// Stable id used in cache keys and database rows: `model@revision12/dims`.
    public var id: String { "\(model)@\(revision.prefix(12))/\(dimensions)" }

    public var description: String { id }
}
