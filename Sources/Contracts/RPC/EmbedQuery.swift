import Foundation

/// `embed_query.v1`: texts to embed right now, for a caller waiting on the answer
/// (the gateway's `/v1/embeddings` and `/v1/retrieve`). Sent to the embed queue's RPC
/// queue with `reply_to` and `correlation_id`; nothing is stored.
public struct EmbedQuery: RPCRequest, Hashable {
    public typealias Reply = EmbedQueryResult
    public static let type = "embed_query.v1"
    public static let queue = JobQueue.embed

    public var texts: [String]
    /// The space the vectors must come from (the one searches use), so a query during a
    /// model change is never embedded by the other model. `nil` = the worker's first.
    public var space: String?
    /// The tenant the texts are embedded for: the worker's cache entries are per tenant,
    /// so without it the cache is not used.
    public var tenantID: String?

    public init(texts: [String], space: String? = nil, tenantID: String? = nil) {
        self.texts = texts
        self.space = space
        self.tenantID = tenantID
    }

    enum CodingKeys: String, CodingKey {
        case texts, space
        case tenantID = "tenant_id"
    }
}

/// The answer to an `EmbedQuery`: one vector per text, in order.
public struct EmbedQueryResult: RPCMessage, Hashable {
    public static let type = "embed_query_result.v1"

    public var space: String
    public var dimensions: Int
    /// Each vector as base64 of little-endian float32 (as OpenAI's `encoding_format: base64`).
    public var vectors: [String]
    /// Token counts per text, with the worker's tokenizer.
    public var tokens: [Int]

    public init(space: String, vectors: [[Float]], tokens: [Int]) {
        self.space = space
        self.dimensions = vectors.first?.count ?? 0
        self.vectors = vectors.map(Self.encode)
        self.tokens = tokens
    }

    /// The vectors, checked against the query they answer: one per text, token counts
    /// likewise; nil if not so, or if one is not `dimensions` float32 values.
    public func vectors(answering query: EmbedQuery) -> [[Float]]? {
        guard vectors.count == query.texts.count, tokens.count == query.texts.count else { return nil }
        return decodedVectors()
    }

    /// The vectors, or nil if one is not `dimensions` float32 values.
    public func decodedVectors() -> [[Float]]? {
        var result: [[Float]] = []
        result.reserveCapacity(vectors.count)
        for text in vectors {
            guard let data = Data(base64Encoded: text), data.count == dimensions * 4 else { return nil }
            result.append(data.withUnsafeBytes { raw in
                (0..<dimensions).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            })
        }
        return result
    }

    public static func encode(_ vector: [Float]) -> String {
        var data = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    enum CodingKeys: String, CodingKey {
        case space, dimensions, vectors, tokens
    }
}

/// The answer to an RPC request that failed: why, in the caller's terms.
public struct RPCFailure: RPCMessage, Hashable, Error {
    public static let type = "rpc_failure.v1"

    /// `invalid` (the request was malformed), `unavailable` (try again), `internal`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
