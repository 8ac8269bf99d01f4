import Foundation
import Logging
import Synchronization
import Testing
import WorkerRuntime

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines) -> Logger {
        Logger(label: "memgrid.test") { label in
            JSONLogHandler(label: label) { line in lines.lines.withLock { $0.append(line) } }
        }
    }

    @Test func eachRecordIsOneJSONObjectOnOneLine() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "tenant.id"] = "acme"
        logger.warning("first \"line\"\nsecond\u{1}", metadata: [
            "count": "\(3)", "ids": ["a", "b"], "nested": ["k": "v"], "message": "shadowed", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        ])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "memgrid.test")
        #expect(object["message"] as? String == "first \"line\"\nsecond\u{1}")
        #expect(object["metadata.message"] as? String == "shadowed")
        #expect(object["tenant.id"] as? String == "acme")
        #expect(object["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(object["ids"] as? [String] == ["a", "b"])
        #expect((object["nested"] as? [String: String]) == ["k": "v"])
        let time = try #require(object["time"] as? String)
        // The current time; not `<= Date()`: a formatter may round the milliseconds up.
        let stamped = try Date(time, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        #expect(abs(stamped.timeIntervalSinceNow) < 60)
    }

    @Test func levelsBelowTheHandlersAreDropped() {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger.logLevel = .info
        logger.debug("hidden")
        logger.info("shown")
        #expect(lines.all.count == 1)
    }
}
