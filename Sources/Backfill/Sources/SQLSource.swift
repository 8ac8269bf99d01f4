import Foundation
public import Logging
public import PostgresNIO

/// The rows of a query, `SELECT id, text[, user_id][, metadata] FROM …`, streamed (the
/// driver reads ahead a bounded number of rows) and ordered by id so every run reads
/// the same chunks. Row numbers stand in for line numbers.
public struct SQLSource: BackfillSource {
    let client: PostgresClient
    let query: String
    let logger: Logger

    /// - Parameter client: a running client for the database the query reads.
    public init(client: PostgresClient, query: String, logger: Logger) {
        self.client = client
        var query = query.trimmingCharacters(in: .whitespacesAndNewlines)
        while query.hasSuffix(";") { query.removeLast() }
        self.query = query
        self.logger = logger
    }

    public var description: String { "sql:" + query.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    public func estimatedCount() async throws -> Int? {
        try await run {
            for try await count in try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM (\(query)) AS src"), logger: logger).decode(Int.self) {
                return count
            }
            return nil
        }
    }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        // to_jsonb(src) reads the optional columns without failing when they are absent.
        let sql = """
            SELECT src.id::text, src.text::text, to_jsonb(src) ->> 'user_id', (to_jsonb(src) -> 'metadata')::text
            FROM (\(query)) AS src ORDER BY 1
            """
        try await run {
            var number = 0
            for try await (id, text, userID, metadata) in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                .decode((String?, String?, String?, String?).self)
            {
                number += 1
                guard let id else { try await body(.invalid(line: number, error: "id is null")); continue }
                guard let text else { try await body(.invalid(line: number, error: "text is null")); continue }
                // A jsonb column arrives as its JSON; a text column holding JSON as a JSON string.
                let json = metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) }
                let record: BackfillRecord
                do throws(InputError) {
                    record = .item(BackfillItem(id: id, text: text, userID: userID, metadata: try InputMetadata.parse(json)), line: number)
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
