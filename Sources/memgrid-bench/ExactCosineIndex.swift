/// Exact cosine nearest neighbours over a small set of vectors.
struct ExactCosineIndex {
    private let vectors: [[Float]]

    init(_ vectors: [[Float]]) {
        self.vectors = vectors.map(Self.normalized)
    }

    /// Positions of the `k` vectors nearest to `query`, nearest first.
    func nearest(_ query: [Float], k: Int) -> [Int] {
        let query = Self.normalized(query)
        let scores = vectors.map { vector in zip(vector, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        return scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k).map { $0 }
    }

    private static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
