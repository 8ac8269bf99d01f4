import Foundation
@testable import Gateway
import Logging
import NIOHTTP1
import Testing
import TestSupport
import WorkerRuntime

/// What operators read: the access log and the build on `/metrics`.
@Suite(.holding(GatewayFixture.shared)) struct ObservabilityTests {
    @Test func everyRequestGetsOneAccessLogLineWithoutItsKeyOrQuery() async throws {
        let records = RecordedLogs()
        let fixture = try await GatewayFixture(
            workers: false, logger: Logger(label: "test.gateway") { _ in RecordingLogHandler(records: records) })
        try await fixture.stopping { fixture in
            try await fixture.waitUntilListening()
            let key = try await fixture.key(tenant: "access-log-tenant")
            let listed = try await fixture.request("GET", "/v1/memories?user_id=secret-user", key: key)
            let refused = try await fixture.request("GET", "/v1/memories?user_id=u", key: "mg_wrong")
            let lines = records.all.filter { $0.text.hasPrefix("request ") }
            let ok = try #require(lines.first { $0.metadataKeys.contains("tenant.id") }, "\(lines.map(\.text))")
            #expect(ok.level == .info)
            for field in ["http.method", "http.route", "http.status", "http.duration_ms", "request.id", "tenant.id"] {
                #expect(ok.metadataKeys.contains(field), "\(field): \(ok.text)")
            }
            #expect(ok.text.contains("/v1/memories") && ok.text.contains("access-log-tenant") && ok.text.contains("200"))
            let requestID = try #require(listed.headers.first(name: "x-request-id"))
            #expect(ok.text.contains(requestID))
            let unauthorized = try #require(
                lines.first { !$0.metadataKeys.contains("tenant.id") && $0.text.contains("/v1/memories") }, "\(lines.map(\.text))")
            #expect(unauthorized.text.contains("401"))
            #expect(refused.status == 401)
            for line in lines {
                #expect(!line.text.contains(key) && !line.text.contains("mg_wrong") && !line.text.contains("secret-user"), "\(line.text)")
            }
        }
    }

    /// One `trace_id` finds a memorize's lines in the gateway (its access log) and in the
    /// worker that ran it.
    @Test func logLinesOfTheGatewayAndTheWorkersCarryTheCallersTrace() async throws {
        let records = RecordedLogs()
        let fixture = try await GatewayFixture(
            workers: true,
            logger: Logger(label: "test.gateway") { _ in RecordingLogHandler(records: records, metadataProvider: .trace) })
        try await fixture.stopping { fixture in
            try await fixture.waitUntilReady()
            let key = try await fixture.key(tenant: "trace-log-tenant")
            let traceID = "0af7651916cd43dd8448eb211c80319c"
            let reply = try await fixture.request(
                "POST", "/v1/memorize", key: key, json: ["user_id": "lu", "messages": [["role": "user", "content": "I love green tea."]]],
                headers: ["traceparent": "00-\(traceID)-b7ad6b7169203331-01"])
            let job = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)
            #expect(job["status"] as? String == "succeeded")
            let traced = records.all.filter { $0.text.contains(traceID) && $0.metadataKeys.contains("span_id") }
            #expect(traced.contains { $0.text.hasPrefix("request ") }, "the gateway's access log")
            #expect(traced.contains { $0.text.hasPrefix("memorized ") && $0.metadataKeys.contains("job.id") }, "the worker's handler")
        }
    }

    /// The gateway's (workers register the same gauge in `WorkerProcess.build`).
    @Test func metricsNameTheBuild() async throws {
        let fixture = try await GatewayAPITests.system()
        let metrics = String(decoding: try await fixture.request("GET", "/metrics", operations: true).body, as: UTF8.self)
        #expect(metrics.contains("memgrid_build_info{version=\"\(BuildInfo.version)\",commit=\"\(BuildInfo.commit)\"} 1"))
    }
}

/// The access log's duration: milliseconds with three decimals, as `%.3f` printed them.
@Suite struct AccessLogDurationTests {
    @Test(arguments: [
        (Duration.microseconds(12_345), "12.345"), (.microseconds(5), "0.005"), (.seconds(2), "2000.000"),
        (.nanoseconds(999), "0.000"), (.milliseconds(7) + .microseconds(80), "7.080"), (.zero, "0.000"),
    ])
    func durationsPrintAsMilliseconds(_ duration: Duration, _ text: String) {
        #expect(AccessLogMiddleware.milliseconds(duration) == text)
    }
}
