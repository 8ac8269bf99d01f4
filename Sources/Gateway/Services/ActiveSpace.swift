import Foundation
import Logging
import PostgresNIO
import Storage
import Synchronization

/// The embedding space searches and `/v1/embeddings` use: the active row of
/// `embedding_spaces`, re-read every few seconds so a switch after a re-embed backfill
/// reaches every replica without a restart.
final class ActiveSpace: Sendable {
    typealias Space = EmbeddingSpaceRepository.Active

    private let spaces: EmbeddingSpaceRepository
    private let refresh: Duration
    private let cached = Mutex<(space: Space?, read: ContinuousClock.Instant?)>((nil, nil))

    init(client: PostgresClient, refresh: Duration = .seconds(5)) {
        self.spaces = EmbeddingSpaceRepository(client: client)
        self.refresh = refresh
    }

    /// Nil until an embedding worker has registered a space.
    func current(logger: Logger) async throws -> Space? {
        let now = ContinuousClock.now
        let (space, read) = cached.withLock { $0 }
        if let read, now - read < refresh, space != nil { return space }
        let found = try await spaces.active(logger: logger)
        cached.withLock { $0 = (found, now) }
        return found
    }
}
