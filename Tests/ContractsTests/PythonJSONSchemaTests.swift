import Contracts
import Foundation
import Testing

/// Validates the goldens with Python's `jsonschema` (an independent draft 2020-12
/// implementation), when it is installed.
@Suite("Schemas under Python jsonschema", .enabled(if: Python.hasJSONSchema, "python3 with jsonschema not installed"))
struct PythonJSONSchemaTests {
    struct Case {
        let label: String
        let schema: String
        let instance: Any
        let valid: Bool

        var json: [String: Any] { ["label": label, "schema": schema, "instance": instance, "valid": valid] }
    }

    @Test func goldensValidateAndBrokenVariantsDoNot() throws {
        var cases: [Case] = []
        for golden in GoldenCase.all {
            let value = try JSONTree.parse(try GoldenFile.read("\(golden.name).json"))
            cases.append(Case(label: golden.name, schema: golden.schemaName, instance: value, valid: true))
            cases.append(Case(label: golden.name, schema: golden.envelopeSchemaName, instance: value, valid: true))
            // Unknown fields are allowed: forward compatibility.
            let extended = JSONTree.setting([.key("payload"), .key("x_future")], to: 1, in: value)
            cases.append(Case(label: "\(golden.name) + unknown field", schema: golden.schemaName, instance: extended, valid: true))
            let untyped = JSONTree.removing([.key("version")], from: value)
            cases.append(Case(label: "\(golden.name) without version", schema: golden.schemaName, instance: untyped, valid: false))
        }
        let embed = try JSONTree.parse(try GoldenFile.read("embed.v1.json"))
        let memorize = try JSONTree.parse(try GoldenFile.read("memorize.v1.json"))
        let deadLettered = try JSONTree.parse(try GoldenFile.read("job.dead_lettered.v1.json"))
        cases += [
            Case(label: "embed as memorize", schema: "memorize.v1", instance: embed, valid: false),
            Case(label: "no items", schema: "embed.v1",
                 instance: JSONTree.setting([.key("payload"), .key("items")], to: [Any](), in: embed), valid: false),
            Case(label: "empty text", schema: "embed.v1",
                 instance: JSONTree.setting([.key("payload"), .key("items"), .index(0), .key("text")], to: "", in: embed),
                 valid: false),
            Case(label: "null space", schema: "embed.v1",
                 instance: JSONTree.setting([.key("payload"), .key("space")], to: NSNull(), in: embed), valid: true),
            Case(label: "bad role", schema: "memorize.v1",
                 instance: JSONTree.setting([.key("payload"), .key("messages"), .index(0), .key("role")], to: "robot", in: memorize),
                 valid: false),
            Case(label: "attempt 0", schema: "envelope",
                 instance: JSONTree.setting([.key("attempt")], to: 0, in: memorize), valid: false),
            Case(label: "bad reason", schema: "job.dead_lettered.v1",
                 instance: JSONTree.setting([.key("payload"), .key("reason")], to: "oops", in: deadLettered), valid: false),
        ]

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("memgrid-schema-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schemaFile = directory.appendingPathComponent("schemas.json")
        let casesFile = directory.appendingPathComponent("cases.json")
        try WireSchemas.document().write(to: schemaFile)
        try JSONSerialization.data(withJSONObject: cases.map(\.json)).write(to: casesFile)

        let result = try Python.run(["-c", Self.script, schemaFile.path, casesFile.path])
        #expect(result.status == 0, "\(result.output)")
    }

    static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schemas = json.load(open(sys.argv[1]))
        cases = json.load(open(sys.argv[2]))
        failures = []
        for name, schema in schemas.items():
            try:
                Draft202012Validator.check_schema(schema)
            except Exception as error:
                failures.append(f"schema {name} is invalid: {error}")
        for case in cases:
            validator = Draft202012Validator(schemas[case["schema"]], format_checker=Draft202012Validator.FORMAT_CHECKER)
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(case["instance"])]
            if case["valid"] and errors:
                failures.append(f"{case['label']} against {case['schema']}: {errors}")
            if not case["valid"] and not errors:
                failures.append(f"{case['label']} against {case['schema']}: accepted but should be rejected")
        print("\\n".join(failures) or f"{len(cases)} cases ok")
        sys.exit(1 if failures else 0)
        """
}

enum Python {
    static let hasJSONSchema: Bool = (try? run(["-c", "import jsonschema"]).status) == 0

    /// Runs `python3` from PATH; returns exit status and combined output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
