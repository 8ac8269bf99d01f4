import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import Prometheus

/// The side HTTP server every process runs: `/healthz` (alive), `/readyz` (all
/// readiness checks pass), `/metrics` (Prometheus text format).
public enum OperationsServer {
    public static func routes<Context: RequestContext>(
        into router: Router<Context>, readiness: Readiness, registry: PrometheusCollectorRegistry
    ) {
        liveness(into: router)
        router.get("/readyz") { _, _ in
            let results = await readiness.evaluate()
            let ready = results.allSatisfy(\.ready)
            let checks = results.map { "\"\($0.name)\":\($0.ready)" }.joined(separator: ",")
            let body = #"{"status":"\#(ready ? "ready" : "not_ready")","checks":{\#(checks)}}"#
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// `/healthz` alone: what a public port may answer (a load balancer's health check).
    public static let livenessPath = "/healthz"

    public static func liveness<Context: RequestContext>(into router: Router<Context>) {
        router.get(RouterPath(livenessPath)) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
    }

    /// A standalone application serving only the operations routes (a side port).
    public static func application(
        host: String, port: Int, readiness: Readiness, registry: PrometheusCollectorRegistry, logger: Logger,
        listening: ListeningPort = ListeningPort()
    ) -> some ApplicationProtocol {
        let router = Router()
        routes(into: router, readiness: readiness, registry: registry)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "memgrid"),
            onServerRunning: listening.record,
            logger: logger)
    }
}
