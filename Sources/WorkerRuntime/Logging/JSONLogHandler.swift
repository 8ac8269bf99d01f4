import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import Logging

/// Logs one JSON object per line, for log services that index fields (Huawei Cloud LTS,
/// Loki, Elasticsearch): `time` (RFC 3339, UTC, milliseconds), `level`, `logger` (the
/// label), `message`, then each metadata value under its own key (`trace_id` and
/// `span_id` among them when a trace is current); a metadata key that would hide one of
/// the first four is written as `metadata.<key>`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: @Sendable (String) -> Void

    static let reserved: Set<String> = ["time", "level", "logger", "message"]

    /// Writes each line to standard error.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider) { line in
            // One write(2) per line: concurrent lines do not interleave.
            var bytes = Array(line.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// - Parameter output: receives each line, newline included.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, output: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let given = event.metadata { fields.merge(given) { $1 } }
        var line = "{\"time\":" + Self.quoted(Date().formatted(Self.time)) + ",\"level\":" + Self.quoted(event.level.rawValue)
            + ",\"logger\":" + Self.quoted(label) + ",\"message\":" + Self.quoted("\(event.message)")
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quoted(Self.reserved.contains(key) ? "metadata.\(key)" : key) + ":" + Self.json(value)
        }
        output(line + "}\n")
    }

    private static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let value): quoted(value.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            "{" + values.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escapes).
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
