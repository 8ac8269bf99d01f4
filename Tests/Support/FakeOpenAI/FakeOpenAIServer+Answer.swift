import Contracts
import Foundation
import Hummingbird
import NIOCore

extension FakeOpenAIServer {
    /// Turns a behaviour into the HTTP answer to one request.
    struct Answer: Sendable {
        let request: ChatRequest
        let id: String

        private static let encoder = JSONEncoder()

        private var streams: Bool { request.stream == true }

        func response(to behaviour: Behaviour) async throws -> Response {
            switch behaviour {
            case .reply(let content, let usage):
                return try await reply(content, usage: usage, gap: .zero)
            case .pacedReply(let content, let usage, let gap):
                return try await reply(content, usage: usage, gap: gap)
            case .status(let status, let retryAfter, let message):
                return try error(status, retryAfter: retryAfter, message: message)
            case .hang(let duration):
                try await Task.sleep(for: duration)
                return try await response(to: .standardReply)
            case .raw(let body, let events):
                guard streams else { return json(.ok, ByteBuffer(string: body)) }
                let stream = (events + ["[DONE]"]).map { "data: \($0)\n\n" }.joined()
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: stream)))
            case .malformed:
                let broken = #"{"id": "\#(id)", "choices": ["#
                guard streams else { return json(.ok, ByteBuffer(string: broken)) }
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: event(broken)))
            case .streamError(let chunks, let message):
                guard streams else { return try error(500, retryAfter: nil, message: message) }
                return try stream(words: Self.parts(chunks), gap: .zero, ending: .error(message))
            case .streamTruncated(let chunks):
                guard streams else {
                    let whole = try Self.encoder.encode(completion(content: "cut off", usage: nil))
                    return json(.ok, ByteBuffer(bytes: whole.prefix(whole.count / 2)))
                }
                return try stream(words: Self.parts(chunks), gap: .zero, ending: .truncated)
            }
        }

        private enum Ending: Sendable {
            case finished(ChatUsage)
            case error(String)
            case truncated
        }

        /// A stream of the answer's words, or for a non-streaming request the whole answer
        /// after the same gaps.
        private func reply(_ content: String, usage: ChatUsage, gap: Duration) async throws -> Response {
            let words = Self.words(content)
            guard streams else {
                for _ in words where gap > .zero { try await Task.sleep(for: gap) }
                return json(.ok, ByteBuffer(bytes: try Self.encoder.encode(completion(content: content, usage: usage))))
            }
            return try stream(words: words, gap: gap, ending: .finished(usage))
        }

        /// SSE: a keep-alive comment, then each word as a chunk followed by a keep-alive, then the ending.
        private func stream(words: [String], gap: Duration, ending: Ending) throws -> Response {
            let chunks = try words.enumerated().map { index, word in
                try event(chunk(ChatChunk.Choice(index: 0, delta: .init(role: index == 0 ? "assistant" : nil, content: word))))
            }
            let tail = try events(ending: ending)
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    for chunk in chunks {
                        if gap > .zero { try await Task.sleep(for: gap) }
                        try await writer.write(chunk)
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                    for part in tail { try await writer.write(part) }
                    try await writer.finish(nil)
                })
        }

        /// What follows the content chunks.
        private func events(ending: Ending) throws -> [ByteBuffer] {
            switch ending {
            case .finished(let usage):
                let finish = try event(chunk(ChatChunk.Choice(index: 0, delta: .init(), finishReason: "stop")))
                let usage = request.streamOptions?.includeUsage == true ? [try event(chunk(nil, usage: usage))] : []
                return [finish] + usage + [event("[DONE]")]
            case .error(let message):
                return [event(String(decoding: try Self.encoder.encode(ErrorBody(message: message, code: 500)), as: UTF8.self))]
            case .truncated:
                return []
            }
        }

        private func json(_ status: HTTPResponse.Status, _ body: ByteBuffer) -> Response {
            Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }

        private func error(_ status: Int, retryAfter: String?, message: String) throws -> Response {
            var response = json(.init(code: status), ByteBuffer(bytes: try Self.encoder.encode(ErrorBody(message: message, code: status))))
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }

        private func event(_ data: String) -> ByteBuffer { ByteBuffer(string: "data: \(data)\n\n") }

        private func event(_ chunk: ChatChunk) throws -> ByteBuffer {
            event(String(decoding: try Self.encoder.encode(chunk), as: UTF8.self))
        }

        private func chunk(_ choice: ChatChunk.Choice?, usage: ChatUsage? = nil) -> ChatChunk {
            ChatChunk(id: id, created: Self.now, model: request.model, choices: choice.map { [$0] } ?? [], usage: usage)
        }

        private func completion(content: String, usage: ChatUsage?) -> ChatCompletion {
            ChatCompletion(
                id: id, created: Self.now, model: request.model,
                choices: [.init(index: 0, message: ChatMessage(role: "assistant", content: content), finishReason: "stop")],
                usage: usage)
        }

        private static var now: Int { Int(Date().timeIntervalSince1970) }

        /// Splits an answer into stream chunks that join back into it exactly.
        private static func words(_ content: String) -> [String] {
            content.split(separator: " ", omittingEmptySubsequences: false).enumerated().map { $0 == 0 ? String($1) : " " + $1 }
        }

        private static func parts(_ count: Int) -> [String] { (0..<count).map { "part\($0) " } }
    }

    /// OpenAI's error body.
    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var type = "fake_error"
            var code: Int
        }
        var error: Detail

        init(message: String, code: Int) {
            error = Detail(message: message, code: code)
        }
    }
}
