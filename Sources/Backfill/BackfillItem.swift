public import Contracts
import Crypto
import Foundation

/// One input of a backfill: a document to embed under the caller's own id, or (in a
/// re-embed) an existing memory item or document.
public struct BackfillItem: Sendable, Hashable {
    /// At most this many characters of text: the model reads 256 tokens, so a longer
    /// text is almost surely a wrong column, not a document.
    public static let maxTextCharacters = 32_768
    public static let maxIDCharacters = 256

    public var id: String
    public var text: String
    public var userID: String?
    public var metadata: [String: String]?
    /// What the id names: a document for every source but the re-embed one.
    public var kind: EmbedJob.Target.Kind

    public init(
        id: String, text: String, userID: String? = nil, metadata: [String: String]? = nil, kind: EmbedJob.Target.Kind = .document
    ) {
        self.id = id
        self.text = text
        self.userID = userID
        self.metadata = metadata
        self.kind = kind
    }

    /// Unique per target: a memory item and a document may share an id.
    var key: String { kind == .document ? id : "\(kind.rawValue)\u{0}\(id)" }

    /// Why an item cannot be embedded: the field and a message that names it.
    public struct Problem: Sendable, Equatable {
        public var field: String
        public var message: String
    }

    /// Why this item cannot be embedded, or nil when it can.
    public var problem: Problem? {
        if let problem = Self.idProblem(id, field: "id") { return problem }
        if text.allSatisfy(\.isWhitespace) { return Problem(field: "text", message: "text is empty") }
        if text.count > Self.maxTextCharacters {
            return Problem(field: "text", message: "text is longer than \(Self.maxTextCharacters) characters")
        }
        if let userID, let problem = Self.idProblem(userID, field: "user_id") { return problem }
        return nil
    }

    static func idProblem(_ id: String, field: String) -> Problem? {
        guard (1...maxIDCharacters).contains(id.count) else {
            return Problem(field: field, message: "\(field) must be 1 to \(maxIDCharacters) characters")
        }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return Problem(field: field, message: "\(field) must not contain control characters")
        }
        return nil
    }

    /// A digest of items (ids, texts, users, metadata) in order.
    public static func digest(_ items: some Sequence<BackfillItem>) -> String {
        var hasher = SHA256()
        for item in items {
            var fields = [item.key, item.text, item.userID ?? ""]
            for (key, value) in (item.metadata ?? [:]).sorted(by: { $0.key < $1.key }) { fields += [key, value] }
            for field in fields { hasher.update(data: Data(field.utf8)); hasher.update(data: [0]) }
            hasher.update(data: [1])
        }
        return hasher.finalize().hexString
    }

    /// The embed job item: a document keyed by the input id, so a re-run overwrites its
    /// row rather than adding one. The user travels in the metadata as `user_id`.
    var embedItem: EmbedJob.Item {
        var metadata = self.metadata
        if let userID { metadata = (metadata ?? [:]).merging(["user_id": userID]) { $1 } }
        return EmbedJob.Item(target: .init(kind: kind, id: id), text: text, metadata: metadata)
    }
}

/// What a source yields for each input line (or row): an item, or why it was rejected.
public enum BackfillRecord: Sendable {
    case item(BackfillItem, line: Int)
    case invalid(line: Int, error: String)
}

/// A rejected input, reported with its line (file sources) or row number (SQL).
public struct BackfillRejection: Sendable, Hashable, Codable {
    public var line: Int
    public var error: String

    public init(line: Int, error: String) {
        self.line = line
        self.error = error
    }
}
