import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An OTLP/HTTP collector stand-in: takes `POST /v1/traces` in OTLP's JSON encoding and
/// keeps the spans, as a collector would receive them from memgrid's exporter.
final class OTLPReceiver: Sendable {
    struct Span: Sendable, CustomStringConvertible {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        /// OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
        var kind: Int
        var attributes: [String: String]

        var description: String { "\(name) [\(spanID) ← \(parentSpanID)]" }
    }

    private let received = Mutex<[Span]>([])
    private let boundPort = Mutex<Int?>(nil)

    var spans: [Span] { received.withLock { $0 } }
    var port: Int? { boundPort.withLock { $0 } }

    /// Serves on a free port until the task is cancelled.
    func serve() async throws {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            let spans = try Self.spans(in: Data(body.readableBytesView))
            self.received.withLock { $0 += spans }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        var logger = Logger(label: "test.otlp-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger)
        try await app.runService()
    }

    /// `resourceSpans[].scopeSpans[].spans[]` of an `ExportTraceServiceRequest`.
    static func spans(in body: Data) throws -> [Span] {
        let request = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        let resources = request["resourceSpans"] as? [[String: Any]] ?? []
        let scopes = resources.flatMap { $0["scopeSpans"] as? [[String: Any]] ?? [] }
        return scopes.flatMap { $0["spans"] as? [[String: Any]] ?? [] }.map { span in
            var attributes: [String: String] = [:]
            for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any] else { continue }
                attributes[key] = value.values.first.map { "\($0)" } ?? ""
            }
            return Span(
                traceID: hex(span["traceId"]), spanID: hex(span["spanId"]), parentSpanID: hex(span["parentSpanId"]),
                name: span["name"] as? String ?? "", kind: span["kind"] as? Int ?? 0, attributes: attributes)
        }
    }

    /// OTLP/JSON writes ids as hex; protobuf's JSON mapping writes bytes as base64.
    private static func hex(_ value: Any?) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        if text.count == 32 || text.count == 16, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
