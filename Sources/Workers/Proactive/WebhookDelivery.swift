import AsyncHTTPClient
import Contracts
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ProviderHTTP
import Storage
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
struct WebhookDelivery: JobHandler {
    let type = JobCatalog.webhook
    let webhooks: WebhookRepository
    let http: HTTPClient
    /// Per request, from connecting to the answer.
    let timeout: Duration
    let clock: any WallClock

    /// Response bytes read (and discarded) before the connection is dropped.
    static let maxResponseBytes = 64 << 10
    static let userAgent = "memgrid-webhooks/1"

    private let metrics = Instruments()

    init(webhooks: WebhookRepository, http: HTTPClient, timeout: Duration, clock: any WallClock) {
        self.webhooks = webhooks
        self.http = http
        self.timeout = timeout
        self.clock = clock
    }

    /// The client for webhook requests: no redirects (the tenant set the URL; a redirect
    /// is an answer, not a delivery), connect and read timeouts of `timeout`.
    static func httpClientConfiguration(timeout: Duration) -> HTTPClient.Configuration {
        HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout.timeAmount, read: timeout.timeAmount))
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
            (status, retryAfter) = try await post(request)
        } catch let error as JobFailure {
            metrics.retried.increment()
            logger.info("webhook delivery failed; it will be retried", metadata: ["error": "\(error.message)"])
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
    private func post(_ request: HTTPClientRequest) async throws -> (status: Int, retryAfter: Duration?) {
        let milliseconds = Int(timeout.timeInterval * 1000)
        do {
            let response = try await http.execute(request, timeout: timeout.timeAmount)
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read >= Self.maxResponseBytes { break }
            }
            return (Int(response.status.code), response.headers.first(name: "Retry-After").flatMap(ProviderRetry.parseRetryAfter))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw JobFailure.retryable("webhook did not answer within \(milliseconds) ms")
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw JobFailure.retryable("could not connect to the webhook within \(milliseconds) ms")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw JobFailure.retryable("webhook request failed: \(String(describing: error).prefix(200))")
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
        let delivered = Counter(label: "memgrid_webhook_deliveries_total", dimensions: [("outcome", "delivered")])
        let retried = Counter(label: "memgrid_webhook_deliveries_total", dimensions: [("outcome", "retried")])
        let rejected = Counter(label: "memgrid_webhook_deliveries_total", dimensions: [("outcome", "rejected")])
        let duration = Metrics.Timer(label: "memgrid_webhook_request_duration_seconds")
    }
}

extension JSONValue {
    /// The string at `key` of an object, if there is one.
    fileprivate func string(_ key: String) -> String? {
        guard case .object(let fields) = self, case .string(let value)? = fields[key] else { return nil }
        return value
    }
}
