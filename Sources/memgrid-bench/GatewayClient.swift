import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1

/// The public HTTP API as a benchmark's client sees it: JSON in and out with a bearer
/// key, and the few response shapes the benchmarks read.
struct GatewayClient: Sendable {
    /// A non-2xx answer: the status and the API's error code and message (never the key).
    struct Failure: Error, CustomStringConvertible {
        var method: String
        var path: String
        var status: Int
        var code: String?
        var message: String

        var description: String { "\(method) \(path): \(status) \(code ?? "")\(code == nil ? "" : ": ")\(message)" }
    }

    let baseURL: String
    let apiKey: String
    let http: HTTPClient
    var timeout: TimeAmount = .seconds(120)

    func get<Response: Decodable>(_ path: String, as type: Response.Type = Response.self) async throws -> Response {
        try await send(.GET, path, body: nil)
    }

    func post<Response: Decodable>(_ path: String, _ body: some Encodable, as type: Response.Type = Response.self) async throws -> Response {
        try await send(.POST, path, body: try WireJSON.encoder().encode(body))
    }

    func delete<Response: Decodable>(_ path: String, as type: Response.Type = Response.self) async throws -> Response {
        try await send(.DELETE, path, body: nil)
    }

    private func send<Response: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let error = try? JSONDecoder().decode(ErrorBody.self, from: bytes).error
            throw Failure(
                method: method.rawValue, path: path.split(separator: "?").first.map(String.init) ?? path,
                status: Int(response.status.code), code: error?.code, message: error?.message ?? response.status.reasonPhrase)
        }
        return try WireJSON.decoder().decode(Response.self, from: bytes)
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String?
            var message: String?
        }
        var error: Detail
    }
}
