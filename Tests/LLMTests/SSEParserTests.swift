import Foundation
@testable import LLM
import Testing

@Suite("Server-sent events: incremental line parsing")
struct SSEParserTests {
    typealias Event = SSEParser.Event

    /// The events of `text` fed in pieces of `size` bytes.
    func events(_ text: String, piece size: Int = .max) throws -> [Event] {
        var parser = SSEParser()
        let bytes = Array(text.utf8)
        return try stride(from: 0, to: bytes.count, by: min(size, bytes.count)).flatMap { start in
            try parser.feed(bytes[start..<min(start + size, bytes.count)])
        }
    }

    static let stream = ": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: first\ndata:second\n\ndata: [DONE]\n\n"
    static let expected = [Event(type: nil, data: #"{"a":1}"#), Event(type: "error", data: "first\nsecond"), Event(type: nil, data: "[DONE]")]

    @Test("LF, CRLF and CR line ends give the same events")
    func lineEnds() throws {
        #expect(try events(Self.stream) == Self.expected)
        #expect(try events(Self.stream.replacingOccurrences(of: "\n", with: "\r\n")) == Self.expected)
        #expect(try events(Self.stream.replacingOccurrences(of: "\n", with: "\r")) == Self.expected)
    }

    @Test("any split across buffers, including between CR and LF, gives the same events", arguments: [1, 2, 3, 5, 7])
    func splits(piece: Int) throws {
        #expect(try events(Self.stream, piece: piece) == Self.expected)
        #expect(try events(Self.stream.replacingOccurrences(of: "\n", with: "\r\n"), piece: piece) == Self.expected)
    }

    @Test("a CRLF split after its CR is one line end, not a blank line")
    func splitCRLF() throws {
        var parser = SSEParser()
        #expect(try parser.feed("data: a\r".utf8).isEmpty)
        #expect(try parser.feed("\ndata: b\r\n\r\n".utf8) == [Event(type: nil, data: "a\nb")])
    }

    @Test("comments, unknown fields and data-less events dispatch nothing; an event waits for its blank line")
    func ignored() throws {
        #expect(try events(": ping\n\nid: 7\nretry: 10\n\nevent: x\n\n").isEmpty)
        var parser = SSEParser()
        #expect(try parser.feed("data: partial".utf8).isEmpty)
        #expect(try parser.feed("\n".utf8).isEmpty)
        #expect(try parser.feed("\n".utf8) == [Event(type: nil, data: "partial")])
    }

    @Test("an event beyond the size limit is an invalid response")
    func limit() throws {
        var parser = SSEParser(maxEventBytes: 16)
        let error = #expect(throws: LLMError.self) { try parser.feed("data: 0123456789abcdef\n".utf8) }
        #expect(error?.code == .invalidResponse)
    }
}

extension SSEParser {
    /// The tests' bytes come as strings and slices.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        try Array(bytes).withUnsafeBytes { try feed($0) }
    }
}
