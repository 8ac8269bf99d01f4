import Foundation
import Storage

/// A retrieve hit as clients see it: a memory item (every field `MemoryView` has) or a
/// message, each with `kind`, `text`, `score`, `time` and `message_ids`.
enum HitView: Encodable {
    case memory(MemoryView)
    case message(MessageHitView)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .memory(let view): try view.encode(to: encoder)
        case .message(let view): try view.encode(to: encoder)
        }
    }
}

struct MessageHitView: Encodable {
    var object = "message"
    var kind = "message"
    /// The message id (the client's, or the one memgrid derived).
    var id: String
    var text: String
    var name: String?
    var time: Date
    var score: Double
    var messageIDs: [String]
    var explain: Fusion.Explanation?

    enum CodingKeys: String, CodingKey {
        case object, kind, id, text, name, time, score, explain
        case messageIDs = "message_ids"
    }
}

extension Retriever.Hit {
    func view(explain: Bool) -> HitView {
        let ranked = self.ranked
        switch self {
        case .memory(let item, _):
            var view = MemoryView(item, score: ranked.score)
            view.kind = "memory"
            view.time = ranked.candidate.time
            view.explain = explain ? ranked.explanation : nil
            return .memory(view)
        case .message:
            let candidate = ranked.candidate
            return .message(MessageHitView(
                id: candidate.messageIDs.first ?? candidate.id, text: candidate.text, name: candidate.name, time: candidate.time,
                score: ranked.score, messageIDs: candidate.messageIDs, explain: explain ? ranked.explanation : nil))
        }
    }
}
