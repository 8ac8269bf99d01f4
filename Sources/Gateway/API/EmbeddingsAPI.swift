import Contracts
import Foundation
import Hummingbird
import NIOCore
import Storage

/// `POST /v1/embeddings` (OpenAI's shape).
struct EmbeddingsAPI: Sendable {
    /// OpenAI's own per-request input limit.
    static let maxInputs = 2048
    /// Characters per input; the model reads at most its first 256 tokens anyway.
    static let maxInputCharacters = 32_768

    struct Body: RequestBody {
        var input: Input
        var model: String
        var encodingFormat: String?
        var dimensions: Int?
        var user: String?

        static let shape = JSONShape.object([
            "input": .value, "model": .value, "encoding_format": .value, "dimensions": .value, "user": .value,
        ])

        enum CodingKeys: String, CodingKey {
            case input, model, dimensions, user
            case encodingFormat = "encoding_format"
        }
    }

    /// A string or an array of strings. Token-id arrays (which OpenAI also takes) are
    /// refused: they are ids of OpenAI's tokenizer, not this model's.
    enum Input: Decodable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .one(text)
            } else if let texts = try? container.decode([String].self) {
                self = .many(texts)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "must be a string or an array of strings (token arrays are not supported)")
            }
        }

        var texts: [String] {
            switch self {
            case .one(let text): [text]
            case .many(let texts): texts
            }
        }
    }

    let space: ActiveSpace
    let embedder: QueryEmbedder
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.post("/embeddings", use: embeddings)
    }

    func embeddings(_ request: Request, context: GatewayContext) async throws -> Response {
        let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
        let texts = body.input.texts
        guard (1...Self.maxInputs).contains(texts.count) else {
            throw APIError.invalid("input must hold 1 to \(Self.maxInputs) strings", param: "input")
        }
        for (index, text) in texts.enumerated() {
            guard !text.isEmpty, text.count <= Self.maxInputCharacters else {
                throw APIError.invalid(
                    "input[\(index)] must be a non-empty string of at most \(Self.maxInputCharacters) characters", param: "input")
            }
        }
        let base64: Bool
        switch body.encodingFormat ?? "float" {
        case "float": base64 = false
        case "base64": base64 = true
        default: throw APIError.invalid("encoding_format must be float or base64", param: "encoding_format")
        }
        let space = try await resolve(model: body.model, context: context)
        if let dimensions = body.dimensions, dimensions != space.dimensions {
            throw APIError.invalid(
                "this model has \(space.dimensions) dimensions and cannot shorten them", param: "dimensions",
                code: "unsupported_dimensions")
        }
        let result = try await embedder.embed(texts, space: space, tenantID: try context.tenantID(), logger: context.logger)
        return Self.response(vectors: result.vectors, model: body.model, tokens: result.tokens.reduce(0, +), base64: base64)
    }

    /// The model may be named by its id (`sentence-transformers/all-MiniLM-L6-v2`), its
    /// last path part (`all-MiniLM-L6-v2`) or the full space id.
    private func resolve(model: String, context: GatewayContext) async throws -> ActiveSpace.Space {
        let space = try await activeSpace(context: context)
        let shortName = space.model.split(separator: "/").last.map(String.init) ?? space.model
        guard [space.model, shortName, space.id].contains(model) else {
            throw APIError.notFound("the model '\(model)' does not exist; this deployment serves '\(space.model)'", code: "model_not_found")
        }
        return space
    }

    private func activeSpace(context: GatewayContext) async throws -> ActiveSpace.Space {
        guard let space = try await space.current(logger: context.logger) else {
            throw APIError.unavailable("no embedding model registered yet: start an embedding worker", code: "no_embedding_space")
        }
        return space
    }

    /// Written by hand: the float arrays dominate the body and JSONEncoder is several
    /// times slower at them. `Float.description` is the shortest round-tripping form.
    static func response(vectors: [[Float]], model: String, tokens: Int, base64: Bool) -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(vectors.count * (base64 ? 2100 : 4600) + 200)
        body.writeString(#"{"object":"list","data":["#)
        for (index, vector) in vectors.enumerated() {
            if index > 0 { body.writeStaticString(",") }
            body.writeString(#"{"object":"embedding","index":\#(index),"embedding":"#)
            if base64 {
                body.writeString("\"" + EmbedQueryResult.encode(vector) + "\"")
            } else {
                body.writeStaticString("[")
                for (position, value) in vector.enumerated() {
                    if position > 0 { body.writeStaticString(",") }
                    // Short enough to stay a small (inline) string: no allocation per float.
                    body.writeString(value.description)
                }
                body.writeStaticString("]")
            }
            body.writeStaticString("}")
        }
        let modelJSON = String(decoding: (try? JSONEncoder().encode(model)) ?? Data("\"\"".utf8), as: UTF8.self)
        body.writeString(#"],"model":\#(modelJSON),"usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}
