import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls this gateway's own `/v1` routes with the caller's API key: what an MCP tool does,
/// so that validation, limits, errors and tenant isolation are exactly the REST API's.
struct GatewayLoopback: Sendable {
    /// Bodies of memgrid's own answers are far smaller; this bounds a runaway one.
    static let maxBodyBytes = 16 * 1024 * 1024

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var isSuccess: Bool { (200..<300).contains(status) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// `http://host:port`, nil until the gateway listens.
    let baseURL: @Sendable () -> String?
    let httpClient: HTTPClient
    let timeout: Duration

    /// `path` are the segments after `/v1`, each escaped whole (an id may hold a `/`).
    func call(
        _ method: HTTPMethod, _ path: [String], query: [(String, String)] = [], json: Any? = nil, authorization: String
    ) async throws -> Reply {
        guard let base = baseURL() else { throw APIError.unavailable("the gateway is not listening yet", code: "starting") }
        var target = "/v1/" + path.map(Self.escape).joined(separator: "/")
        if !query.isEmpty { target += "?" + query.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&") }
        var request = HTTPClientRequest(url: base + target)
        request.method = method
        request.headers.add(name: "Authorization", value: authorization)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        return Reply(status: Int(response.status.code), body: Data(body.readableBytesView))
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
