public import Foundation

/// JSON Lines: one object per line, `{"id": …, "text": …, "user_id"?: …, "metadata"?: {…}}`.
/// Numeric ids are read as their decimal text; other fields are ignored; blank lines are
/// skipped.
public struct JSONLinesSource: BackfillSource {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    public var description: String { fileDescription(kind: "jsonl", url: url) }

    public func estimatedCount() async throws -> Int? { try LineReader.countLines(url: url) }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        var reader = try LineReader(url: url)
        while let line = try reader.next() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let record: BackfillRecord
            do throws(InputError) {
                record = .item(try Self.item(line), line: reader.lineNumber)
            } catch {
                record = .invalid(line: reader.lineNumber, error: error.message)
            }
            try await body(record)
        }
    }

    static func item(_ line: String) throws(InputError) -> BackfillItem {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw InputError("not a JSON object")
        }
        let id: String
        switch object["id"] {
        case let text as String: id = text
        case let number as NSNumber where !number.isBoolean: id = number.stringValue
        case nil, is NSNull: throw InputError("missing id")
        default: throw InputError("id must be a string or a number")
        }
        guard let textValue = object["text"], !(textValue is NSNull) else { throw InputError("missing text") }
        guard let text = textValue as? String else { throw InputError("text must be a string") }
        let userID: String?
        switch object["user_id"] {
        case nil, is NSNull: userID = nil
        case let text as String: userID = text
        default: throw InputError("user_id must be a string")
        }
        return BackfillItem(id: id, text: text, userID: userID, metadata: try InputMetadata.parse(object["metadata"]))
    }
}
