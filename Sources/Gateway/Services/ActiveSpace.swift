import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The embedding space searches and `/v1/embeddings` use: the active row of
/// `embedding_spaces`, re-read every few seconds so a switch after a re-embed backfill
/// reaches every replica without a restart.
final class ActiveSpace: Sendable {
    struct Space: Sendable, Equatable {
        var id: String
        var model: String
        var dimensions: Int
    }

    private let client: PostgresClient
    private let refresh: Duration
    private let cached = Mutex<(space: Space?, read: ContinuousClock.Instant?)>((nil, nil))

    init(client: PostgresClient, refresh: Duration = .seconds(5)) {
        self.client = client
        self.refresh = refresh
    }

    /// Nil until an embedding worker has registered a space.
    func current(logger: Logger) async throws -> Space? {
        let now = ContinuousClock.now
        let (space, read) = cached.withLock { $0 }
        if let read, now - read < refresh, space != nil { return space }
        let rows = try await client.query(
            "SELECT id, model, dimensions FROM embedding_spaces WHERE active", logger: logger)
        var found: Space?
        for try await (id, model, dimensions) in rows.decode((String, String, Int).self) {
            found = Space(id: id, model: model, dimensions: dimensions)
        }
        cached.withLock { $0 = (found, now) }
        return found
    }
}
