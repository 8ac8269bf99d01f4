import Contracts
import Foundation
import Testing

@Suite("Decoding compatibility")
struct DecodingTests {
    /// Newer publishers may add fields anywhere; older consumers must still decode.
    @Test(arguments: GoldenCase.all)
    func unknownFieldsAreIgnored(_ golden: GoldenCase) throws {
        var value = try JSONTree.parse(try golden.encode())
        let extra: [String: Any] = ["nested": [1, 2], "flag": true]
        value = JSONTree.setting([.key("x_future")], to: extra, in: value)
        value = JSONTree.setting([.key("payload"), .key("x_future")], to: "v2 field", in: value)
        if (value as? [String: Any])?["trace"] != nil {
            value = JSONTree.setting([.key("trace"), .key("x_future")], to: 1, in: value)
        }
        #expect(try golden.decodesToSample(JSONTree.data(value)))
    }

    /// Required in the schema ⇔ required by the decoder; optional fields accept absence
    /// and `null` alike (what Python and Go publishers tend to send).
    @Test(arguments: GoldenCase.all)
    func requiredFieldsMatchTheDecoder(_ golden: GoldenCase) throws {
        let value = try JSONTree.parse(try golden.encode())
        let check = SchemaCheck(value, against: golden.schema)
        try #require(!check.properties.isEmpty)
        for property in check.properties {
            let name = JSONTree.describe(property.path)
            let removed = try JSONTree.data(JSONTree.removing(property.path, from: value))
            let nulled = try JSONTree.data(JSONTree.setting(property.path, to: NSNull(), in: value))
            if property.required {
                #expect(throws: DecodingError.self, "\(golden.name): decoded without \(name)") {
                    _ = try golden.decodesToSample(removed)
                }
                #expect(throws: DecodingError.self, "\(golden.name): decoded with null \(name)") {
                    _ = try golden.decodesToSample(nulled)
                }
            } else {
                #expect(throws: Never.self, "\(golden.name): optional \(name)") {
                    _ = try golden.decodesToSample(removed)
                    _ = try golden.decodesToSample(nulled)
                }
            }
        }
    }

    @Test func missingRequiredFieldFails() throws {
        let json = #"{"id":"j1","kind":"embed","version":1,"attempt":1,"created_at":"2026-01-02T03:04:05Z","payload":{"items":[{"target":{"kind":"document","id":"d"},"text":"t"}]}}"#
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder().decode(JobEnvelope<EmbedJob>.self, from: Data(json.utf8))
        }
        let fixed = json.replacingOccurrences(of: #""attempt":1"#, with: #""attempt":1,"tenant_id":"t""#)
        let envelope = try WireJSON.decoder().decode(JobEnvelope<EmbedJob>.self, from: Data(fixed.utf8))
        #expect(envelope.payload.items.first?.target == EmbedJob.Target(kind: .document, id: "d"))
        #expect(envelope.trace == nil && envelope.payload.space == nil)
    }

    @Test func unknownEnumValueFails() throws {
        let golden = try GoldenFile.read("memorize.v1.json")
        let value = JSONTree.setting(
            [.key("payload"), .key("messages"), .index(0), .key("role")], to: "robot", in: try JSONTree.parse(golden))
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder().decode(JobEnvelope<MemorizeJob>.self, from: JSONTree.data(value))
        }
    }

    /// The runtime reads the header first, then picks the payload type by kind and version.
    @Test func headersDecodeFromFullEnvelopes() throws {
        let job = try WireJSON.decoder().decode(JobHeader.self, from: GoldenFile.read("embed.v1.json"))
        #expect(job.typeName == "embed.v1" && job.id == Samples.embedJobID && job.attempt == 1)
        #expect(JobCatalog.type(named: job.typeName) == EmbedJob.type)
        let event = try WireJSON.decoder().decode(EventHeader.self, from: GoldenFile.read("job.completed.v1.json"))
        #expect(event.eventType == JobCompleted.type)
        #expect(event.correlationID == Samples.memorizeJobID)
    }

    @Test func envelopeTypeNames() {
        #expect(Samples.embed.typeName == "embed.v1")
        #expect(Samples.memorize.kind == "memorize" && Samples.memorize.version == 1)
        #expect(Samples.jobDeadLettered.typeName == "job.dead_lettered.v1")
        #expect(Samples.jobDeadLettered.type == "job.dead_lettered")
    }
}
