/// Where a backfill's inputs come from. Reading must be deterministic: a re-run reads
/// the same items in the same order, so chunk n is the same chunk.
public protocol BackfillSource: Sendable {
    /// What is read, e.g. `jsonl:/data/rows.jsonl`: part of the backfill's fingerprint.
    var description: String { get }
    /// How many inputs there are, if it is cheap to know (an upper bound is fine).
    func estimatedCount() async throws -> Int?
    /// Calls `body` for each input in order; streams, never loads the source at once.
    func read(_ body: (BackfillRecord) async throws -> Void) async throws
}

/// Items already in memory (the gateway's inline backfills).
public struct InlineSource: BackfillSource {
    public let description: String
    let items: [BackfillItem]

    /// - Parameter description: identifies the items (the gateway uses their digest).
    public init(items: [BackfillItem], description: String) {
        self.items = items
        self.description = description
    }

    public func estimatedCount() async throws -> Int? { items.count }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        for (index, item) in items.enumerated() { try await body(.item(item, line: index + 1)) }
    }
}
