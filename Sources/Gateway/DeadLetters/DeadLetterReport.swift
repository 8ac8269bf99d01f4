import Contracts
public import WorkerRuntime

/// What a dead-letter operation (`DeadLetterArchive`) found and did, in the admin API's
/// and `memgrid dlq --json`'s shape.
public struct DeadLetterReport: Sendable {
    public enum Operation: String, Sendable {
        case list, replay, purge
    }

    public struct Failure: Sendable, Hashable {
        public var letter: DeadLetter
        /// Why the publish failed.
        public var error: String

        init(letter: DeadLetter, error: String) {
            self.letter = letter
            self.error = error
        }
    }

    public var operation: Operation
    /// The selected dead letters: listed, replayed or purged.
    public var letters: [DeadLetter] = []
    /// Selected for replay, but the publish failed: each is still a dead letter.
    public var failures: [Failure] = []
    /// More dead letters matched than the limit let through (`list`).
    public var hasMore = false

    init(operation: Operation) {
        self.operation = operation
    }
}

extension DeadLetterReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case object, data, replayed, failed, purged, failures
        case hasMore = "has_more"
        case messageIDs = "message_ids"
    }

    private struct FailureView: Encodable {
        var messageID: String?
        var queue: String
        var error: String

        enum CodingKeys: String, CodingKey {
            case queue, error
            case messageID = "message_id"
        }
    }

    /// The admin API's answer (and `memgrid dlq --json`'s): a list envelope for `list`;
    /// `{"object": "dead_letter.replay", "replayed", "failed", "message_ids", "failures"}`
    /// or `{"object": "dead_letter.purge", "purged", "message_ids"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch operation {
        case .list:
            try container.encode("list", forKey: .object)
            try container.encode(letters, forKey: .data)
            try container.encode(hasMore, forKey: .hasMore)
        case .replay:
            try container.encode("dead_letter.replay", forKey: .object)
            try container.encode(letters.count, forKey: .replayed)
            try container.encode(failures.count, forKey: .failed)
            try container.encode(letters.compactMap(\.messageID), forKey: .messageIDs)
            try container.encode(
                failures.map { FailureView(messageID: $0.letter.messageID, queue: $0.letter.queue.rawValue, error: $0.error) },
                forKey: .failures)
        case .purge:
            try container.encode("dead_letter.purge", forKey: .object)
            try container.encode(letters.count, forKey: .purged)
            try container.encode(letters.compactMap(\.messageID), forKey: .messageIDs)
        }
    }
}
