import WorkerRuntime
import Contracts
import Foundation
import Messaging
#if canImport(Glibc)
import Glibc
#endif

/// How `memgrid dlq` prints: tables for people, JSON lines for scripts.
extension DLQCommand {
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func printJSONLines(_ values: [some Encodable]) throws {
        let encoder = WireJSON.encoder()
        for value in values { print(String(decoding: try encoder.encode(value), as: UTF8.self)) }
    }

    static func printTable(_ letters: [DeadLetter]) {
        printTable(
            header: ["QUEUE", "MESSAGE ID", "TYPE", "TENANT", "REASON", "ATTEMPT", "DEAD-LETTERED AT", "BYTES", "ERROR"],
            rows: letters.map { letter in
                [
                    letter.queue.rawValue, letter.messageID ?? "-", letter.type ?? "-", letter.tenantID ?? "-",
                    letter.reason ?? "-", letter.attempt.map(String.init) ?? "-",
                    letter.deadLetteredAt.map(WireJSON.format) ?? "-", String(letter.bodyBytes), letter.error ?? "",
                ]
            })
    }

    /// Aligned columns on a terminal (long last columns cut to fit a line); tab-separated,
    /// uncut, when the output goes to a pipe or file.
    static func printTable(header: [String], rows: [[String]]) {
        let rows = rows.map { $0.map { $0.replacing(/[\t\r\n]+/, with: " ") } }
        guard isatty(STDOUT_FILENO) != 0 else {
            print(header.joined(separator: "\t"))
            for row in rows { print(row.joined(separator: "\t")) }
            return
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                column == row.count - 1 ? String(cell.prefix(80)) : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    static func printDetail(_ letter: DeadLetter, topology: Topology) {
        let target = letter.replayTarget(in: topology)
        let fields: [(String, String?)] = [
            ("message id", letter.messageID), ("type", letter.type), ("tenant", letter.tenantID),
            ("queue", letter.queue.rawValue), ("dead-letter queue", letter.deadLetterQueue), ("reason", letter.reason),
            ("error", letter.error), ("attempt", letter.attempt.map(String.init)),
            ("dead-lettered at", letter.deadLetteredAt.map(WireJSON.format)),
            ("original exchange", letter.originalExchange), ("original routing key", letter.originalRoutingKey),
            ("replays so far", String(letter.replays)),
            ("replay goes to", "exchange '\(target.exchange)', routing key '\(target.routingKey)'"),
            ("body bytes", String(letter.bodyBytes)),
        ]
        for (name, value) in fields { print("\(name):".padding(toLength: 22, withPad: " ", startingAt: 0) + (value ?? "-")) }
        guard let body = letter.body else { return }
        print("body:")
        if let object = try? JSONSerialization.jsonObject(with: body),
           let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            print(String(decoding: pretty, as: UTF8.self))
        } else if let text = String(validating: body, as: UTF8.self) {
            print(text)
        } else {
            print("(\(body.count) bytes, not UTF-8; base64) \(body.base64EncodedString())")
        }
    }
}
