import Foundation

/// The response shapes the benchmarks read.
extension GatewayClient {
    /// `{"object": "list", "data": [...]}`, with a cursor when paged.
    struct List<Element: Decodable>: Decodable {
        var data: [Element]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case data
            case nextCursor = "next_cursor"
        }
    }

    /// `GET /v1/jobs/{id}`.
    struct Job: Decodable {
        var id: String
        var status: String
        var error: String?
        var children: [Job]?

        /// `failed` is an attempt that will be retried; only these two are final.
        var isSucceeded: Bool { status == "succeeded" }
        var isDeadLettered: Bool { status == "dead_lettered" }
    }

    /// A memory item or a retrieve hit: the text and the client message ids it stands on
    /// (absent from gateways that do not report them yet).
    struct Hit: Decodable {
        var kind: String?
        var text: String
        var score: Double?
        var messageIDs: [String]?

        enum CodingKeys: String, CodingKey {
            case kind, text, score
            case messageIDs = "message_ids"
        }
    }

    struct Embedding: Decodable {
        var index: Int
        var embedding: [Float]
    }

    struct Model: Decodable {
        var id: String
    }
}
