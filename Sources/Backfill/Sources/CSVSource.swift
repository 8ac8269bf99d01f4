public import Foundation

/// CSV (RFC 4180: quoted fields may hold commas, `""` and line breaks) with a header row
/// naming the columns `id` and `text`, and optionally `user_id` and `metadata` (a JSON
/// object). Other columns are ignored. Line numbers are those of a record's first line.
public struct CSVSource: BackfillSource {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    public var description: String { fileDescription(kind: "csv", url: url) }

    public func estimatedCount() async throws -> Int? { max(0, try LineReader.countLines(url: url) - 1) }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        var reader = try LineReader(url: url)
        guard case .fields(let header)? = try Self.record(&reader) else {
            throw BackfillError(.invalidSource, "\(url.path): the first line must be a CSV header with the columns id and text")
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let idColumn = names.firstIndex(of: "id"), let textColumn = names.firstIndex(of: "text") else {
            throw BackfillError(.invalidSource, "\(url.path): the header must name the columns id and text (found: \(names.joined(separator: ",")))")
        }
        let userColumn = names.firstIndex(of: "user_id")
        let metadataColumn = names.firstIndex(of: "metadata")
        while true {
            let line = reader.lineNumber + 1
            guard let record = try Self.record(&reader) else { return }
            switch record {
            case .malformed(let error):
                try await body(.invalid(line: line, error: error))
            case .fields(let fields) where fields.count == 1 && fields[0].isEmpty:
                continue  // a blank line
            case .fields(let fields) where fields.count != names.count:
                try await body(.invalid(line: line, error: "expected \(names.count) fields, found \(fields.count)"))
            case .fields(let fields):
                let userID = userColumn.map { fields[$0] }.flatMap { $0.isEmpty ? nil : $0 }
                let metadataText = metadataColumn.map { fields[$0] } ?? ""
                let record: BackfillRecord
                do throws(InputError) {
                    let metadata = metadataText.isEmpty ? nil : try InputMetadata.parse(metadataText)
                    record = .item(BackfillItem(id: fields[idColumn], text: fields[textColumn], userID: userID, metadata: metadata), line: line)
                } catch {
                    record = .invalid(line: line, error: error.message)
                }
                try await body(record)
            }
        }
    }

    enum Record: Equatable {
        case fields([String])
        case malformed(String)
    }

    /// The next record, reading more lines while a quoted field is open; nil at the end.
    static func record(_ reader: inout LineReader) throws -> Record? {
        guard var line = try reader.next() else { return nil }
        var fields: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        while true {
            var characters = line.makeIterator()
            while let character = characters.next() {
                if quoted {
                    if character == "\"" { quoted = false; afterQuote = true } else { field.append(character) }
                } else if character == "\"" {
                    if afterQuote { field.append("\""); quoted = true; afterQuote = false }  // "" inside quotes
                    else if field.isEmpty { quoted = true }
                    else { return .malformed("a quote inside an unquoted field") }
                } else if character == "," {
                    fields.append(field)
                    field = ""
                    afterQuote = false
                } else if afterQuote {
                    return .malformed("text after a closing quote")
                } else {
                    field.append(character)
                }
            }
            guard quoted else { break }
            guard let next = try reader.next() else { return .malformed("a quoted field is not closed before the end of the file") }
            field.append("\n")
            line = next
        }
        fields.append(field)
        return .fields(fields)
    }
}
