@testable import Gateway
import Hummingbird
import NIOCore
import Testing

/// Query strings as clients write them. Malformed escapes are tested here, on the parser:
/// HTTP clients (AsyncHTTPClient included) re-encode `%zz` to `%25zz` before sending it.
struct FormQueryTests {
    static func query(_ target: String) throws -> Parameters {
        try Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: target), body: .init(buffer: ByteBuffer()))
            .formQuery()
    }

    @Test func plusIsASpaceAndEscapesAreDecodedInNamesAndValues() throws {
        let query = try Self.query("/v1/memories?user_id=ann+lee&meta%5Fdata=%7B%22a%22%3A1%7D&plus=%2B&empty=&bare&a=1&a=2")
        #expect(query.get("user_id") == "ann lee")
        #expect(query.get("meta_data") == #"{"a":1}"#)
        #expect(query.get("plus") == "+")
        #expect(query.get("empty") == "" && query.get("bare") == "")
        #expect(query.getAll("a") == ["1", "2"])
        #expect(try Self.query("/v1/memories").get("user_id") == nil)
    }

    @Test(arguments: ["/v1/memories?user_id=u%zz", "/v1/memories?user_id=%", "/v1/memories?us%zzer=u", "/v1/memories?user_id=%e9"])
    func aMalformedEscapeIsA400(_ target: String) throws {
        #expect(throws: APIError.self) { try Self.query(target) }
    }
}
