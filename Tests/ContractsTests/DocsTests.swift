import Contracts
import Foundation
import Testing

/// docs/contracts.md is what integrators code against: its examples must be the goldens
/// and every header, reason and event name must appear in it.
@Suite("docs/contracts.md")
struct DocsTests {
    static let text: String? = try? String(contentsOf: ContractsDoc.url, encoding: .utf8)

    /// The JSON block right after `<!-- example: name -->`.
    static func example(_ name: String) -> String? {
        guard let text, let marker = text.range(of: "<!-- example: \(name) -->\n```json\n"),
              let end = text.range(of: "\n```", range: marker.upperBound..<text.endIndex)
        else { return nil }
        return String(text[marker.upperBound..<end.lowerBound])
    }

    @Test("examples equal the goldens", arguments: GoldenCase.all.filter(\.isFull))
    func exampleMatchesGolden(_ golden: GoldenCase) throws {
        try #require(Self.text != nil, "cannot read \(ContractsDoc.url.path)")
        let example = try #require(Self.example(golden.name), "no example for \(golden.name)")
        let documented = try JSONTree.parse(Data(example.utf8)) as? NSDictionary
        let expected = try JSONTree.parse(try golden.encode()) as? NSDictionary
        #expect(documented != nil && documented == expected)
    }

    @Test func namesTheWholeContract() throws {
        let text = try #require(Self.text, "cannot read \(ContractsDoc.url.path)")
        let topology = Topology()
        var names = [
            WireHeader.attempt, WireHeader.tenant, WireHeader.traceparent, WireHeader.tracestate,
            WireHeader.deadLetterReason, WireHeader.error, WireHeader.originalExchange,
            WireHeader.originalRoutingKey, WireHeader.deadLetteredAt, WireHeader.replays, WireHeader.deadLetterID,
            topology.jobsExchange, topology.eventsExchange, topology.deadLetterExchange,
            "memgrid contracts schema", "MEMGRID_TOPOLOGY_PREFIX", "x-delivery-limit",
        ]
        names += DeadLetterReason.allCases.map(\.rawValue)
        names += EventCatalog.all.map(\.name) + JobCatalog.all.map(\.description)
        names += JobQueue.all.map { topology.workQueue($0) }
        names += WireSchemas.all().map(\.name)
        for name in names {
            #expect(text.contains("`\(name)"), "docs/contracts.md never mentions `\(name)`")
        }
    }
}

enum ContractsDoc {
    /// `<package>/docs/contracts.md`, found from this source file.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/contracts.md")
}
