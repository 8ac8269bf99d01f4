import Hummingbird
import Logging
import NIOCore
import Synchronization
import WorkerRuntime

/// An OTLP/HTTP collector stand-in for the tracing-overhead runs: accepts
/// `POST /v1/traces` and counts what arrives, so the benchmarks pay for span creation,
/// batching, encoding and the HTTP export, as against a real collector.
final class OTLPSink: Sendable {
    private let received = Mutex<(requests: Int, bytes: Int)>((0, 0))
    private let boundPort = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Export requests and their bytes so far.
    var totals: (requests: Int, bytes: Int) { received.withLock { $0 } }

    /// Starts serving on a free loopback port; returns an exporter to it.
    func start(serviceName: String, logger: Logger) async throws -> TracingBackend {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            self.received.withLock { $0.requests += 1; $0.bytes += body.readableBytes }
            return Response(status: .ok)
        }
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.boundPort.withLock { $0 = channel.localAddress?.port } }, logger: quiet)
        task.withLock { $0 = Task { try await app.runService() } }
        while boundPort.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        return try TracingBackend.otlp(
            serviceName: serviceName, endpoint: "http://127.0.0.1:\(boundPort.withLock { $0 }!)/v1/traces", logger: quiet)
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
