import AsyncHTTPClient
import Contracts
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ProviderHTTP
import Storage
import Tracing
import WorkerRuntime

/// `webhook.v1`: POSTs one event to its tenant's webhook, signed with the tenant's secret
/// (`X-Memgrid-Signature`, see `WebhookDelivery.signature` and docs/proactive.md).
///
/// The webhook is looked up when the job runs, so a changed URL or secret applies to
/// deliveries still queued or retrying. A 2xx answer delivers the event. 408, 429, 5xx,
/// timeouts and connection failures are retried with the worker's backoff (or after the
/// receiver's `Retry-After`, if longer, up to the worker's longest backoff), then
/// dead-lettered (`attempts_exhausted`); any other answer, or a tenant without a
/// webhook, dead-letters at once (`permanent_failure`). The dead letter's
/// `x-memgrid-error` header says why (`webhook answered 400`), never the response body.
///
/// The URL is vetted by `egress` before every delivery (a DNS answer may have changed since
/// the tenant set it), and the request connects to the vetted address, with no second
/// lookup. Failure texts reach the tenant (dead letters), so they never describe the
/// network beyond the answer's status; the detail goes to the worker's log.
struct WebhookDelivery: JobHandler {
    let type = JobCatalog.webhook
    let webhooks: WebhookRepository
    let egress: EgressPolicy
    /// Per request, from connecting to the answer.
    let timeout: Duration
    let clock: any WallClock

    /// Response bytes read (and discarded) before the connection is dropped.
    static let maxResponseBytes = 64 << 10
    static let userAgent = "memgrid-webhooks/1"

    private let metrics: Instruments

    init(webhooks: WebhookRepository, egress: EgressPolicy, timeout: Duration, clock: any WallClock, factory: any MetricsFactory) {
        metrics = Instruments(factory: factory)
        self.webhooks = webhooks
        self.egress = egress
        self.timeout = timeout
        self.clock = clock
    }

    /// The client for one webhook request: no redirects (the tenant set the URL; a
    /// redirect is an answer, not a delivery), connect and read timeouts of `timeout`,
    /// and the host pinned to the vetted address (TLS still verifies the host name).
    static func httpClientConfiguration(timeout: Duration, target: EgressPolicy.Target) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout.timeAmount, read: timeout.timeAmount))
        if let address = target.address { configuration.dnsOverride = [target.host: address.description] }
        return configuration
    }

    func handle(_ job: JobEnvelope<WebhookJob>, context: JobContext) async throws {
        guard let webhook = try await webhooks.get(tenantID: job.tenantID, logger: context.logger) else {
            metrics.rejected.increment()
            throw JobFailure.permanent("the tenant has no webhook configured (PUT /v1/webhook)")
        }
        guard let url = URL(string: webhook.url), ["http", "https"].contains(url.scheme?.lowercased()), url.host?.isEmpty == false
        else {
            metrics.rejected.increment()
            throw JobFailure.permanent("the tenant's webhook URL is not an http(s) URL")
        }
        let target: EgressPolicy.Target
        do {
            target = try await egress.vet(url)
        } catch let refusal as EgressRefusal {
            // Retried: a name that does not resolve now may resolve later, and a refused
            // address must not be told apart from it.
            metrics.retried.increment()
            context.logger.info("webhook URL refused", metadata: ["webhook.host": "\(url.host ?? "")", "error": "\(refusal)"])
            throw JobFailure.retryable("webhook URL not allowed: \(refusal.reason)")
        }
        let event = job.payload.event
        let body = try WireJSON.encoder().encode(event)
        let timestamp = Int(clock.now().timeIntervalSince1970.rounded(.down))
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers = [
            "Content-Type": "application/json",
            "User-Agent": Self.userAgent,
            Header.eventID: event.string("id") ?? "",
            Header.eventType: event.string("type") ?? "",
            Header.attempt: String(context.attempt),
            Header.signature: Self.signature(secret: webhook.secret, timestamp: timestamp, body: body),
        ]
        request.body = .bytes(ByteBuffer(bytes: body))

        var logger = context.logger
        logger[metadataKey: "webhook.host"] = "\(url.host ?? "")"
        let started = ContinuousClock.now
        let status: Int
        let retryAfter: Duration?
        do {
            (status, retryAfter) = try await Telemetry.withSpan("POST webhook", kind: .client) { span in
                var request = request
                for (name, value) in TraceContext.current?.httpHeaders ?? [] { request.headers.add(name: name, value: value) }
                span?.attributes["http.request.method"] = "POST"
                span?.attributes["server.address"] = url.host
                let answer = try await post(request, to: target, logger: logger)
                span?.attributes["http.response.status_code"] = answer.status
                return answer
            }
        } catch let error as JobFailure {
            metrics.retried.increment()
            throw error
        }
        metrics.duration.recordSeconds((ContinuousClock.now - started).timeInterval)
        logger[metadataKey: "webhook.status"] = "\(status)"
        switch status {
        case 200..<300:
            metrics.delivered.increment()
            logger.debug("webhook delivered")
        case _ where ProviderRetry.isRetryable(status: status):
            metrics.retried.increment()
            logger.info("webhook answered a retryable status; it will be retried")
            throw JobFailure.retryable("webhook answered \(status)", after: retryAfter)
        default:
            metrics.rejected.increment()
            logger.warning("webhook refused the delivery; dead-lettering it")
            let hint = (300..<400).contains(status) ? "; redirects are not followed" : ""
            throw JobFailure.permanent("webhook answered \(status)\(hint)")
        }
    }

    /// Sends the request and returns the answer's status and `Retry-After`, after reading
    /// (and discarding) at most `maxResponseBytes` of its body. Transport failures are
    /// `retryable`.
    private func post(
        _ request: HTTPClientRequest, to target: EgressPolicy.Target, logger: Logger
    ) async throws -> (status: Int, retryAfter: Duration?) {
        // A client per request: its DNS override pins this delivery's vetted address.
        let http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: Self.httpClientConfiguration(timeout: timeout, target: target))
        let milliseconds = Int(timeout.timeInterval * 1000)
        do {
            let response = try await http.execute(request, timeout: timeout.timeAmount)
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read >= Self.maxResponseBytes { break }
            }
            try? await http.shutdown()
            return (Int(response.status.code), response.headers.first(name: "Retry-After").flatMap(ProviderRetry.parseRetryAfter))
        } catch {
            try? await http.shutdown()
            throw Self.failure(error, timeoutMilliseconds: milliseconds, logger: logger)
        }
    }

    private static func failure(_ error: any Error, timeoutMilliseconds milliseconds: Int, logger: Logger) -> any Error {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return JobFailure.retryable("webhook did not answer within \(milliseconds) ms")
        case is CancellationError:
            return CancellationError()
        default:
            // "connection refused" and the like would map the receiver's network for the tenant.
            logger.info("webhook request failed; it will be retried", metadata: ["error": "\(String(describing: error).prefix(300))"])
            return JobFailure.retryable("could not deliver to the webhook (connection failed)")
        }
    }

    enum Header {
        static let eventID = "X-Memgrid-Event-Id"
        static let eventType = "X-Memgrid-Event-Type"
        static let attempt = "X-Memgrid-Delivery-Attempt"
        static let signature = "X-Memgrid-Signature"
    }

    /// Created once per handler: no per-request label values.
    private struct Instruments: Sendable {
        let delivered: Counter
        let retried: Counter
        let rejected: Counter
        let duration: Metrics.Timer

        init(factory: any MetricsFactory) {
            func outcome(_ name: String) -> Counter {
                Counter(label: "memgrid_webhook_deliveries_total", dimensions: [("outcome", name)], factory: factory)
            }
            (delivered, retried, rejected) = (outcome("delivered"), outcome("retried"), outcome("rejected"))
            duration = Metrics.Timer(label: "memgrid_webhook_request_duration_seconds", factory: factory)
        }
    }
}

extension JSONValue {
    /// The string at `key` of an object, if there is one.
    fileprivate func string(_ key: String) -> String? {
        guard case .object(let fields) = self, case .string(let value)? = fields[key] else { return nil }
        return value
    }
}
