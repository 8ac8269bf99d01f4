import CoreMetrics
public import Hummingbird
import Metrics
import Synchronization

/// Requests by route template and status, latency histograms and in-flight count.
/// Label values come from the matched route's template (`/v1/memories/{id}`), never
/// the raw path, so the series stay bounded.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    final class Series: Sendable {
        private let factory: any MetricsFactory
        private let counters = Mutex<[String: Counter]>([:])
        private let timers = Mutex<[String: Metrics.Timer]>([:])
        let inFlight: Meter

        init(factory: any MetricsFactory) {
            self.factory = factory
            inFlight = Meter(label: "memgrid_http_requests_in_flight", factory: factory)
        }

        func counter(route: String, method: String, status: Int) -> Counter {
            let key = "\(route) \(method) \(status)"
            return counters.withLock { counters in
                if let counter = counters[key] { return counter }
                let counter = Counter(
                    label: "memgrid_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
                counters[key] = counter
                return counter
            }
        }

        func timer(route: String) -> Metrics.Timer {
            timers.withLock { timers in
                if let timer = timers[route] { return timer }
                let timer = Metrics.Timer(
                    label: "memgrid_http_request_duration_seconds", dimensions: [("route", route)],
                    preferredDisplayUnit: .seconds, factory: factory)
                timers[route] = timer
                return timer
            }
        }
    }

    let series: Series

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        series.inFlight.increment()
        defer { series.inFlight.decrement() }
        let start = ContinuousClock.now
        // The edge middleware inside turns every error into a response, so this sees them all.
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        series.timer(route: route).record(duration: ContinuousClock.now - start)
        series.counter(route: route, method: request.method.rawValue, status: response.status.code).increment()
        return response
    }
}
