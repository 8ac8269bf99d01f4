/// Turns texts into L2-normalized vectors of one embedding space.
public protocol Embedder: Sendable {
    var space: EmbeddingSpace { get }
    /// One vector per text, in input order. Runs its computation off the cooperative
    /// thread pool.
    func embed(_ texts: [String]) async throws -> [[Float]]
    /// Tokens the text costs (including special tokens, after truncation): used to
    /// build batches by token budget.
    func tokenCount(_ text: String) -> Int
}
