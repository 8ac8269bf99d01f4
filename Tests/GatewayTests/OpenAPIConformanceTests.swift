import Foundation
import Testing
import TestSupport

/// The OpenAPI document against the running system, checked by schemathesis (a client
/// that knows only the document): every documented status, header and body shape, no
/// undocumented 5xx, schema-invalid requests refused, schema-valid ones accepted.
/// Run alone (the Makefile's last step): it sends a few thousand requests.
@Suite(.serialized)
struct OpenAPIConformanceTests {
    @Test func theGatewayAnswersWhatItsOpenAPIDocumentSays() async throws {
        // Webhook URLs that schemathesis generates are pointed at 127.0.0.1:9 by its hooks.
        let fixture = try await GatewayFixture(workers: true, overrides: [
            "MEMGRID_WEBHOOK_ALLOW_HTTP": "true", "MEMGRID_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        ])
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "schemathesis", scopes: ["admin"])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-schemathesis-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestBroker.repositoryRoot.appendingPathComponent("scripts/schemathesis.sh").path]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "MEMGRID_SCHEMATHESIS_URL": "http://127.0.0.1:\(fixture.port)",
            "MEMGRID_SCHEMATHESIS_OPS_URL": "http://127.0.0.1:\(fixture.opsPort)",
            "MEMGRID_SCHEMATHESIS_KEY": key,
            // The document the running gateway serves, as a client would fetch it.
            "MEMGRID_SCHEMATHESIS_SCHEMA": "http://127.0.0.1:\(fixture.port)/openapi.yaml",
        ]) { $1 }
        let file = try FileHandle(forWritingTo: output)
        process.standardOutput = file
        process.standardError = file
        try process.run()
        let status = await process.exitStatus()
        try file.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        let summary = text.split(separator: "\n").last { $0.hasPrefix("schemathesis: ") && $0.contains(" passed, ") }
        #expect(status == 0, "\(text.suffix(20_000))")
        #expect(summary?.hasSuffix(" 0 failed") == true || summary?.contains(" 0 failed,") == true, "\(summary ?? "no summary")")
        await fixture.stop()
    }
}
