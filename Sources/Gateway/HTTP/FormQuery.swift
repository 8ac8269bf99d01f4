import Foundation
import Hummingbird

extension Request {
    /// The query string read the way clients write it: `+` is a space (HTML forms,
    /// Python's `urlencode`, which the official SDKs and schemathesis use), then
    /// percent-escapes are decoded in names and values. Hummingbird's own reading keeps
    /// `+` and names undecoded, so `user_id=ann+lee` would be another user than the body's
    /// `"ann lee"`. A malformed escape is a 400 instead of a value read raw.
    func formQuery() throws -> Parameters {
        guard let query = uri.query else { return [:] }
        var pairs: [(key: Substring, value: Substring)] = []
        for field in query.split(separator: "&") {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecode(parts[0]) else { throw Self.malformed(param: "query") }
            guard let value = parts.count > 1 ? Self.formDecode(parts[1]) : "" else { throw Self.malformed(param: name) }
            pairs.append((key: name[...], value: value[...]))
        }
        return Parameters(pairs)
    }

    private static func formDecode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static func malformed(param: String) -> APIError {
        .invalid("the query string has a malformed percent-escape", param: String(param.prefix(64)))
    }
}
