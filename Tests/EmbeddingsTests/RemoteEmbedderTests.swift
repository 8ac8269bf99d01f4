import AsyncHTTPClient
@testable import Embeddings
import Foundation
import Hummingbird
import Logging
import NIOCore
import ProviderHTTP
import Synchronization
import Testing

/// A scripted OpenAI-compatible `/v1/embeddings` fake: the external API we cannot reach.
/// Each request takes the next scripted reply; successful replies embed input i as the
/// vector (i+1, 1, 0, …), listed in reverse to check that clients sort by `index`.
final class FakeEmbeddingsServer: Sendable {
    enum Reply: Sendable {
        case ok(dimensions: Int)
        case status(Int, retryAfter: String?, message: String)
    }

    private let script: Mutex<[Reply]>
    let requests = Mutex<[[String]]>([])

    init(_ script: [Reply]) {
        self.script = Mutex(script)
    }

    struct Body: Decodable { var input: [String]; var model: String }

    /// Serves until `body` returns; passes the base URL (with `/v1`).
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/embeddings") { request, context -> Response in
            let decoded = try await request.decode(as: Body.self, context: context)
            self.requests.withLock { $0.append(decoded.input) }
            let reply = self.script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
            switch reply {
            case .ok(let dimensions):
                let items = decoded.input.indices.reversed().map { index in
                    let vector = [Float(index + 1), 1] + Array(repeating: Float(0), count: dimensions - 2)
                    return #"{"object":"embedding","index":\#(index),"embedding":[\#(vector.map { "\($0)" }.joined(separator: ","))]}"#
                }
                let json = #"{"object":"list","model":"\#(decoded.model)","data":[\#(items.joined(separator: ","))]}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            case .status(let code, let retryAfter, let message):
                var headers: HTTPFields = [.contentType: "application/json"]
                if let retryAfter { headers[.retryAfter] = retryAfter }
                return Response(
                    status: .init(code: code), headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"\#(message)","type":"test"}}"#)))
            }
        }
        let port = Mutex<Int?>(nil)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: Logger(label: "test.fake-embeddings"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
            let result = try await body("http://127.0.0.1:\(port.withLock { $0! })/v1")
            group.cancelAll()
            return result
        }
    }

    var requestCount: Int { requests.withLock { $0.count } }
}

@Suite("Remote OpenAI-compatible embeddings provider (against a local fake)")
struct RemoteEmbedderTests {
    func embedder(_ url: String, dimensions: Int = 4, maxBatch: Int = 256, maxAttempts: Int = 4) -> RemoteEmbedder {
        RemoteEmbedder(
            configuration: .init(
                baseURL: url, apiKey: "sk-test", model: "bge-test", dimensions: dimensions, maxBatch: maxBatch,
                timeout: .seconds(5), retry: ProviderRetry(maxAttempts: maxAttempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(50))),
            logger: Logger(label: "test.remote"))
    }

    @Test("429 and 503 are retried (honouring Retry-After), then vectors come back in input order")
    func retriesThenSucceeds() async throws {
        let server = FakeEmbeddingsServer([
            .status(429, retryAfter: "0", message: "slow down"), .status(503, retryAfter: nil, message: "busy"), .ok(dimensions: 4),
        ])
        let vectors = try await server.run { url in try await embedder(url).embed(["a", "b", "c"]) }
        #expect(server.requestCount == 3)
        #expect(vectors.count == 3)
        for (index, vector) in vectors.enumerated() {
            let norm = (Float(index + 1) * Float(index + 1) + 1).squareRoot()
            #expect(abs(vector[0] - Float(index + 1) / norm) < 1e-6)
            #expect(abs(vector[1] - 1 / norm) < 1e-6)
        }
    }

    @Test("a 400 fails at once with the provider's message")
    func rejected() async throws {
        let server = FakeEmbeddingsServer([.status(400, retryAfter: nil, message: "input too long")])
        let error = try await server.run { url in
            await #expect(throws: RemoteEmbedder.Error.self) { try await embedder(url).embed(["x"]) }
        }
        #expect(server.requestCount == 1)
        #expect(error?.code == .rejected)
        #expect(error?.message.contains("input too long") == true)
    }

    @Test("persistent 5xx gives up after the attempt limit")
    func exhausted() async throws {
        let server = FakeEmbeddingsServer([.status(500, retryAfter: nil, message: "down")])
        let error = try await server.run { url in
            await #expect(throws: RemoteEmbedder.Error.self) { try await embedder(url, maxAttempts: 3).embed(["x"]) }
        }
        #expect(server.requestCount == 3)
        #expect(error?.code == .unavailable)
    }

    @Test("vectors of the wrong size are rejected")
    func dimensionCheck() async throws {
        let server = FakeEmbeddingsServer([.ok(dimensions: 8)])
        let error = try await server.run { url in
            await #expect(throws: RemoteEmbedder.Error.self) { try await embedder(url, dimensions: 4).embed(["x"]) }
        }
        #expect(error?.code == .invalidResponse)
    }

    @Test("inputs are split into batches and come back in order")
    func batching() async throws {
        let server = FakeEmbeddingsServer([.ok(dimensions: 4)])
        let vectors = try await server.run { url in try await embedder(url, maxBatch: 2).embed(["a", "b", "c", "d", "e"]) }
        #expect(server.requests.withLock { $0 } == [["a", "b"], ["c", "d"], ["e"]])
        #expect(vectors.count == 5)
        // Each batch restarts at index 0: the first element is (i+1)/norm within its batch.
        #expect(abs(vectors[2][0] - 1 / Float(2).squareRoot()) < 1e-6)
    }
}

@Suite("Retry-After parsing")
struct RetryAfterTests {
    @Test("seconds and HTTP dates; garbage is ignored")
    func parse() {
        #expect(ProviderRetry.parseRetryAfter("3") == .seconds(3))
        #expect(ProviderRetry.parseRetryAfter("0.5") == .milliseconds(500))
        let future = Date().addingTimeInterval(120)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let parsed = ProviderRetry.parseRetryAfter(formatter.string(from: future))
        #expect(parsed.map { $0 > .seconds(100) && $0 <= .seconds(120) } == true)
        #expect(ProviderRetry.parseRetryAfter("soon") == nil)
    }
}
