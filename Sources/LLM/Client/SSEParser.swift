/// Splits a `text/event-stream` body into events as its bytes arrive, whatever the
/// buffer boundaries: lines end in LF, CRLF or CR; `data:` lines accumulate (joined
/// with LF) until a blank line dispatches the event; `:` lines are comments (keep-alives).
public struct SSEParser: Sendable {
    public struct Event: Hashable, Sendable {
        /// The `event:` field; nil for the default `message`.
        var type: String?
        var data: String
    }

    /// Bounds memory against a provider that never ends a line or an event.
    let maxEventBytes: Int
    private var line: [UInt8] = []
    private var afterCR = false
    private var type: String?
    private var data: [UInt8] = []
    private var hasData = false

    public init(maxEventBytes: Int = 16 * 1024 * 1024) {
        self.maxEventBytes = maxEventBytes
    }

    /// The events these bytes complete. Not generic, so a caller in another module runs
    /// the same specialized loop as `ChatClient` does.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == .lf, afterCR {   // the LF of a CRLF split from its CR or not
                afterCR = false
                continue
            }
            afterCR = byte == .cr
            if byte == .lf || byte == .cr {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
                if line.count + data.count > maxEventBytes {
                    throw LLMError(.invalidResponse, "a stream event exceeds \(maxEventBytes) bytes")
                }
            }
        }
        return events
    }

    /// At the end of the body: the event the provider left open, if any (a blank line completes it).
    public mutating func finish() throws -> [Event] {
        let end = [UInt8.lf, .lf]
        return try end.withUnsafeBytes { try feed($0) }
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                type = nil
                data.removeAll(keepingCapacity: true)
                hasData = false
            }
            return hasData ? Event(type: type, data: String(decoding: data, as: UTF8.self)) : nil
        }
        guard line[0] != .colon else { return nil }
        let colon = line.firstIndex(of: .colon) ?? line.endIndex
        var valueStart = min(colon + 1, line.endIndex)
        if valueStart < line.endIndex, line[valueStart] == .space { valueStart += 1 }
        let field = line[..<colon]
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(.lf) }
            data += value
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            type = String(decoding: value, as: UTF8.self)
        }
        return nil
    }
}

extension UInt8 {
    fileprivate static let lf = UInt8(ascii: "\n")
    fileprivate static let cr = UInt8(ascii: "\r")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let space = UInt8(ascii: " ")
}
