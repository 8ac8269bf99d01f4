import Foundation
import Hummingbird
import Storage

/// OpenAI's list envelope: `{"object": "list", "data": [...]}`, with a cursor when paged.
struct ListBody<Element: Encodable>: Encodable {
    var object = "list"
    var data: [Element]
    var nextCursor: String?
    var hasMore: Bool?

    init(data: [Element], nextCursor: String? = nil, hasMore: Bool? = nil) {
        self.data = data
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }

    enum CodingKeys: String, CodingKey {
        case object, data
        case nextCursor = "next_cursor"
        case hasMore = "has_more"
    }
}

/// A listing's `limit` and `cursor` query parameters. A cursor is the last row's
/// (created_at in microseconds, id), base64url: opaque to clients.
struct PageQuery {
    var limit: Int
    var cursor: MemoryRepository.Cursor?

    init(_ query: Parameters, maxPageSize: Int, defaultLimit: Int = 20) throws {
        limit = try query.get("limit").map { text in
            guard let limit = Int(text), (1...maxPageSize).contains(limit) else {
                throw APIError.invalid("limit must be between 1 and \(maxPageSize)", param: "limit")
            }
            return limit
        } ?? defaultLimit
        cursor = try query.get("cursor").map { text in
            guard let cursor = Self.decode(text) else { throw APIError.invalid("cursor is not one this API returned", param: "cursor") }
            return cursor
        }
    }

    /// 9999-12-31T23:59:59.999999Z.
    private static let maxMicroseconds: Int64 = 253_402_300_799_999_999

    static func encode(_ cursor: MemoryRepository.Cursor) -> String {
        Data("\(cursor.createdAtMicroseconds)|\(cursor.id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> MemoryRepository.Cursor? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: "|", maxSplits: 1)
        // Forged values must fail here, not as a PostgreSQL error: the time within
        // years 1970–9999, the id plain text of a sane length.
        guard parts.count == 2, let micros = Int64(parts[0]), (0...maxMicroseconds).contains(micros),
              (1...1024).contains(parts[1].utf8.count), !parts[1].utf8.contains(0)
        else { return nil }
        return MemoryRepository.Cursor(createdAtMicroseconds: micros, id: String(parts[1]))
    }
}
