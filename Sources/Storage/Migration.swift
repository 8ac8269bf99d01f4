/// One versioned schema change: statements run in order inside one transaction.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension Migration {
    /// Every migration, in version order. Append new ones; never edit an applied one.
    public static let all: [Migration] = [.v1Foundation, .v2Embeddings, .v3Memory, .v4Usage, .v5Proactive, .v6Backfills, .v7Messages, .v8Changes, .v9Documents, .v10Extractions, .v11DeadLetters, .v12MessageContext, .v13MemoryTokens, .v14ConsolidationMarks, .v15BinaryDocumentIndex, .v16LargeUsers]
}
