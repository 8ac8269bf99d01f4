import Foundation

/// Reads a file line by line in 1 MiB blocks (`\n` or `\r\n`), never all of it at once.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// 1-based number of the line `next()` returned last.
    private(set) var lineNumber = 0

    init(url: URL) throws {
        handle = try Self.open(url)
    }

    private static func open(_ url: URL) throws -> FileHandle {
        do {
            return try FileHandle(forReadingFrom: url)
        } catch {
            throw BackfillError(.invalidSource, "cannot open \(url.path): \(error.localizedDescription)")
        }
    }

    /// The next line without its terminator, or nil at the end of the file.
    mutating func next() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(start)
            start = 0
            if let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
                buffer.append(contentsOf: block)
            } else {
                atEnd = true
            }
        }
    }

    /// Lines in the file (the last one may lack a newline): one fast pass over the bytes.
    static func countLines(url: URL) throws -> Int {
        let handle = try open(url)
        defer { try? handle.close() }
        var lines = 0
        var last: UInt8 = 0x0A
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            lines += block.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            last = block.last!
        }
        return last == 0x0A ? lines : lines + 1
    }
}

/// A file source's description: its absolute, standardized path.
func fileDescription(kind: String, url: URL) -> String {
    "\(kind):\(url.standardizedFileURL.path)"
}

/// Metadata from an input: a JSON object whose values are strings, numbers or booleans
/// (stored as strings, so every consumer reads them the same way).
enum InputMetadata {
    static func parse(_ value: Any?) throws(InputError) -> [String: String]? {
        switch value {
        case nil, is NSNull:
            return nil
        case let text as String:
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
                throw InputError("metadata is not a JSON object")
            }
            return try parse(object)
        case let object as [String: Any]:
            var metadata: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case let string as String: metadata[key] = string
                case let number as NSNumber:
                    metadata[key] = number.isBoolean ? (number.boolValue ? "true" : "false") : number.stringValue
                default: throw InputError("metadata.\(key) must be a string, number or boolean")
                }
            }
            return metadata
        default:
            throw InputError("metadata must be a JSON object")
        }
    }
}

struct InputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension NSNumber {
    /// JSONSerialization reads `true`/`false` as NSNumbers of ObjC type `c`.
    var isBoolean: Bool { String(cString: objCType) == "c" }
}
