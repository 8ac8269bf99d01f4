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
