import Contracts
import Foundation
import Testing

@Suite("JSON Schemas")
struct SchemaTests {
    static let expectedNames = [
        "envelope", "event_envelope", "embed.v1", "memorize.v1", "summarize.v1", "webhook.v1", "consolidate.v1",
        "job.completed.v1", "job.dead_lettered.v1", "embedding.completed.v1", "memory.created.v1", "memory.updated.v1",
        "memory.superseded.v1", "memory.deleted.v1", "user.erased.v1", "budget.alert.v1", "proactive.reminder.v1",
    ]

    @Test func namesAndOrder() {
        #expect(WireSchemas.all().map(\.name) == Self.expectedNames)
        for (name, schema) in WireSchemas.all() {
            #expect(schema.schemaDialect == "https://json-schema.org/draft/2020-12/schema")
            #expect(schema.title == name)
        }
    }

    @Test func documentIsStableJSONKeyedByName() throws {
        let first = try WireSchemas.document()
        #expect(try WireSchemas.document() == first)
        let object = try #require(try JSONTree.parse(first) as? [String: Any])
        #expect(Set(object.keys) == Set(Self.expectedNames))
        let embed = try #require(object["embed.v1"] as? [String: Any])
        #expect(embed["$schema"] as? String == JSONSchema.draft202012)
        #expect(embed["type"] as? String == "object")
    }

    @Test func encodesKeywords() throws {
        let schema = JSONSchema.object(
            [
                "a": JSONSchema.string(oneOf: ["x"]).nullable(),
                "b": .array(of: .integer(minimum: 1), minItems: 1, maxItems: 3),
                "c": .map(values: .string()),
                "d": .constant(.integer(2)),
                "e": .ref("#/$defs/e"),
            ],
            required: ["b", "a"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(schema), as: UTF8.self)
        #expect(json == ##"{"properties":{"a":{"enum":["x",null],"type":["string","null"]},"b":{"items":{"minimum":1,"type":"integer"},"maxItems":3,"minItems":1,"type":"array"},"c":{"additionalProperties":{"type":"string"},"type":"object"},"d":{"const":2,"type":"integer"},"e":{"$ref":"#/$defs/e"}},"required":["a","b"],"type":"object"}"##)
    }

    @Test("every sample key is in the schema and every required key is in the sample", arguments: GoldenCase.all)
    func sampleMatchesSchema(_ golden: GoldenCase) throws {
        let value = try JSONTree.parse(try golden.encode())
        for schema in [golden.schema, golden.envelopeSchema] {
            let check = SchemaCheck(value, against: schema)
            #expect(check.issues.isEmpty, "\(golden.name): \(check.issues)")
        }
    }

    @Test("full samples exercise every declared property", arguments: Set(GoldenCase.all.map(\.schemaName)).sorted())
    func fullSamplesCoverSchema(_ schemaName: String) throws {
        let cases = GoldenCase.all.filter { $0.schemaName == schemaName && $0.isFull }
        try #require(!cases.isEmpty)
        var covered: Set<String> = []
        for golden in cases {
            covered.formUnion(SchemaCheck(try JSONTree.parse(try golden.encode()), against: golden.schema).covered)
        }
        let declared = SchemaCheck.declaredProperties(of: cases[0].schema)
        #expect(declared.subtracting(covered).isEmpty, "never sampled: \(declared.subtracting(covered).sorted())")
    }

    /// The check above must be able to fail, or it proves nothing.
    @Test func schemaCheckRejectsBrokenSamples() throws {
        let embed = try JSONTree.parse(try WireJSON.encoder().encode(Samples.embed))
        let schema = WireSchemas.schema(named: "embed.v1")
        let broken: [(String, Any)] = [
            ("unknown key", JSONTree.setting([.key("payload"), .key("spaces")], to: "x", in: embed)),
            ("missing required", JSONTree.removing([.key("tenant_id")], from: embed)),
            ("nested missing", JSONTree.removing([.key("payload"), .key("items"), .index(1), .key("text")], from: embed)),
            ("wrong const", JSONTree.setting([.key("kind")], to: "memorize", in: embed)),
            ("wrong type", JSONTree.setting([.key("attempt")], to: "1", in: embed)),
            ("below minimum", JSONTree.setting([.key("attempt")], to: 0, in: embed)),
            ("empty items", JSONTree.setting([.key("payload"), .key("items")], to: [Any](), in: embed)),
            ("bad enum", JSONTree.setting([.key("payload"), .key("items"), .index(0), .key("target"), .key("kind")], to: "file", in: embed)),
            ("empty id", JSONTree.setting([.key("id")], to: "", in: embed)),
            ("map value type", JSONTree.setting([.key("payload"), .key("items"), .index(0), .key("metadata"), .key("n")], to: 1, in: embed)),
        ]
        for (label, value) in broken {
            #expect(!SchemaCheck(value, against: schema).issues.isEmpty, "\(label) passed")
        }
    }
}
