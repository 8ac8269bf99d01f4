import Foundation
public import Logging
public import PostgresNIO
import Storage

/// The rows of a query, `SELECT id, text[, user_id][, metadata] FROM …`, streamed (the
/// driver reads ahead a bounded number of rows) and ordered by id so every run reads
/// the same chunks. Row numbers stand in for line numbers.
public struct SQLSource: BackfillSource {
    let source: SourceQuery
    let logger: Logger

    /// - Parameter client: a running client for the database the query reads.
    public init(client: PostgresClient, query: String, logger: Logger) {
        var query = query.trimmingCharacters(in: .whitespacesAndNewlines)
        while query.hasSuffix(";") { query.removeLast() }
        source = SourceQuery(client: client, sql: query)
        self.logger = logger
    }

    public var description: String { "sql:" + source.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    public func estimatedCount() async throws -> Int? {
        try await run { try await source.count(logger: logger) }
    }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        try await run {
            var number = 0
            try await source.rows(logger: logger) { row in
                number += 1
                guard let id = row.id else { try await body(.invalid(line: number, error: "id is null")); return }
                guard let text = row.text else { try await body(.invalid(line: number, error: "text is null")); return }
                // A jsonb column arrives as its JSON; a text column holding JSON as a JSON string.
                let json = row.metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) }
                let record: BackfillRecord
                do throws(InputError) {
                    record = .item(BackfillItem(id: id, text: text, userID: row.userID, metadata: try InputMetadata.parse(json)), line: number)
                } catch {
                    record = .invalid(line: number, error: error.message)
                }
                try await body(record)
            }
        }
    }

    /// Runs a query step, turning the server's complaint (bad SQL, a missing column) into
    /// an `invalidSource` error.
    private func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            throw BackfillError(.invalidSource, "the backfill query failed: \(message) (it must return the columns id and text)")
        }
    }
}
