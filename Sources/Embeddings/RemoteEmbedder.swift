public import AsyncHTTPClient
import Contracts
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ProviderHTTP

/// An OpenAI-compatible `/v1/embeddings` provider (OpenAI, Huawei ModelArts bge models,
/// Hugging Face TEI, vLLM): batched requests, a timeout per request, retries with
/// exponential backoff and jitter that honour `Retry-After`, and a dimension check.
public final class RemoteEmbedder: Embedder {
    public struct Configuration: Sendable {
        /// Up to and including `/v1`, e.g. `https://api.openai.com/v1`.
        public var baseURL: String
        public var apiKey: String?
        public var model: String
        /// Expected vector size; a provider answering otherwise is an error.
        public var dimensions: Int
        /// The provider's model version, part of the embedding space.
        public var revision: String
        public var maxBatch: Int
        public var timeout: Duration
        public var retry: ProviderRetry

        public init(
            baseURL: String, apiKey: String? = nil, model: String, dimensions: Int, revision: String = "1",
            maxBatch: Int = 256, timeout: Duration = .seconds(30), retry: ProviderRetry = ProviderRetry()
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.dimensions = dimensions
            self.revision = revision
            self.maxBatch = max(1, maxBatch)
            self.timeout = timeout
            self.retry = retry
        }
    }

    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            let name: String
            public var description: String { name }
            /// The provider refused the request (4xx other than 408/429): retrying cannot help.
            public static let rejected = Code(name: "rejected")
            /// Retryable failures persisted through every attempt.
            public static let unavailable = Code(name: "unavailable")
            /// The answer was not an embeddings response, or had the wrong vectors.
            public static let invalidResponse = Code(name: "invalid_response")
        }

        public let code: Code
        /// The provider's message or our description; never the texts or the key.
        public let message: String
        public var description: String { "RemoteEmbedder.Error(\(code)): \(message)" }
    }

    public let configuration: Configuration
    public let space: EmbeddingSpace
    private let client: HTTPClient
    private let logger: Logger

    public init(configuration: Configuration, client: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.space = EmbeddingSpace(model: configuration.model, revision: configuration.revision, dimensions: configuration.dimensions)
        self.client = client
        self.logger = logger
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: configuration.maxBatch) {
            vectors += try await request(Array(texts[start..<min(start + configuration.maxBatch, texts.count)]))
        }
        return vectors
    }

    /// Providers tokenize themselves; a rough estimate (4 bytes a token) is enough to
    /// size batches.
    public func tokenCount(_ text: String) -> Int { text.utf8.count / 4 + 2 }

    private struct Request: Encodable {
        var model: String
        var input: [String]
        var encoding_format = "float"
    }

    private struct Response: Decodable {
        struct Item: Decodable {
            var index: Int
            var embedding: [Float]
        }
        var data: [Item]
    }

    private func request(_ texts: [String]) async throws -> [[Float]] {
        var httpRequest = HTTPClientRequest(url: configuration.baseURL + "/embeddings")
        httpRequest.method = .POST
        httpRequest.headers.add(name: "Content-Type", value: "application/json")
        if let key = configuration.apiKey { httpRequest.headers.add(name: "Authorization", value: "Bearer \(key)") }
        for (name, value) in TraceContext.current?.httpHeaders ?? [] { httpRequest.headers.add(name: name, value: value) }
        let body = try JSONEncoder().encode(Request(model: configuration.model, input: texts))

        var attempt = 1
        while true {
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
            let start = ContinuousClock.now
            var retryAfter: Duration?
            let failure: String
            do {
                let response = try await client.execute(httpRequest, timeout: configuration.timeout.timeAmount)
                let bytes = Data(try await response.body.collect(upTo: 64 * 1024 * 1024).readableBytesView)
                let status = response.status.code
                logger.debug("embeddings request", metadata: [
                    "provider.url": "\(configuration.baseURL)", "http.status": "\(status)",
                    "attempt": "\(attempt)", "latency": "\(ContinuousClock.now - start)",
                ])
                if (200..<300).contains(status) { return try decode(bytes, count: texts.count) }
                let message = ProviderRetry.errorMessage(in: bytes) ?? "HTTP \(status)"
                guard ProviderRetry.isRetryable(status: status) else {
                    throw Error(code: .rejected, message: "HTTP \(status): \(message)")
                }
                retryAfter = response.headers.first(name: "retry-after").flatMap(ProviderRetry.parseRetryAfter)
                failure = "HTTP \(status): \(message)"
            } catch let error as Error {
                throw error
            } catch {
                failure = "\(error)"   // timeout or connection failure: worth another try
            }
            guard attempt < configuration.retry.maxAttempts else {
                throw Error(code: .unavailable, message: "\(configuration.retry.maxAttempts) attempts failed; last: \(failure)")
            }
            let delay = configuration.retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.info("embeddings request failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(failure)", "retry.delay": "\(delay)"])
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }

    private func decode(_ bytes: Data, count: Int) throws -> [[Float]] {
        guard let response = try? JSONDecoder().decode(Response.self, from: bytes) else {
            throw Error(code: .invalidResponse, message: "not an embeddings response")
        }
        let items = response.data.sorted { $0.index < $1.index }
        guard items.count == count, items.map({ $0.index }) == Array(0..<count) else {
            throw Error(code: .invalidResponse, message: "expected \(count) embeddings, got \(items.count)")
        }
        if let wrong = items.first(where: { $0.embedding.count != configuration.dimensions }) {
            throw Error(
                code: .invalidResponse,
                message: "expected \(configuration.dimensions) dimensions, got \(wrong.embedding.count)")
        }
        return items.map { Self.normalized($0.embedding) }
    }

    /// Providers usually return unit vectors; normalizing again keeps cosine = dot.
    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

}
