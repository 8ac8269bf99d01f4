public import Contracts
import CoreMetrics
import Foundation
public import Logging
public import Messaging
import Metrics
public import ServiceLifecycle
import Synchronization
import Tracing

/// Consumes one work queue: decode → handler → ack. Acks only after the handler
/// returned (its result is durable); retryable failures go to a delay queue, the rest
/// and exhausted ones to the dead-letter queue with the reason. Nothing is acked before
/// its retry or dead-letter copy is confirmed by the broker.
public final class JobWorker: Service, Sendable {
    public struct Configuration: Sendable {
        public var queue: JobQueue
        public var topology: Topology
        /// Handlers running at once; also the consumer prefetch.
        public var concurrency: Int
        public var retry: RetryPolicy
        /// How long shutdown waits for in-flight handlers before cancelling them.
        public var drainTimeout: Duration

        public init(
            queue: JobQueue, topology: Topology, concurrency: Int = 32,
            retry: RetryPolicy = RetryPolicy(), drainTimeout: Duration = .seconds(25)
        ) {
            self.queue = queue
            self.topology = topology
            self.concurrency = concurrency
            self.retry = retry
            self.drainTimeout = drainTimeout
        }
    }

    private let configuration: Configuration
    private let consumer: Consumer
    private let publisher: Publisher
    private let router: JobRouter
    private let metrics: WorkerMetrics
    private let observer: (any JobObserver)?
    private let logger: Logger
    private let loop: DeliveryLoop

    /// - Parameters:
    ///   - consumer: consumes `configuration.queue`'s work queue; the worker starts and closes it.
    ///   - publisher: used for retries and dead letters; owned (started/closed) by the caller.
    ///   - observer: told when a job starts, succeeds, is retried or dead-lettered.
    public init(
        configuration: Configuration, consumer: Consumer, publisher: Publisher, router: JobRouter,
        metrics: WorkerMetrics, observer: (any JobObserver)? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.consumer = consumer
        self.publisher = publisher
        self.router = router
        self.metrics = metrics
        self.observer = observer
        var logger = logger
        logger[metadataKey: "queue"] = "\(configuration.queue)"
        self.logger = logger
        loop = DeliveryLoop(
            consumer: consumer, drainTimeout: configuration.drainTimeout, requeued: metrics.requeued, inFlight: metrics.inFlight,
            logger: logger)
    }

    public func run() async throws {
        await loop.run { delivery in await self.process(delivery) }
    }

    /// Handles one delivery as a hop of its publisher's trace, from the AMQP headers (a
    /// publisher that sets only the envelope's `trace` is continued by `JobRouter`, which
    /// decodes the envelope anyway). A job published without one is handled untraced:
    /// tracing costs nothing to those who do not use it (`make bench-queue`). With a
    /// tracer the hop is a consumer span; its start after the publisher's send span ended
    /// is the time the job waited in the queue.
    func process(_ delivery: Delivery) async {
        let trace = TraceContext(headers: delivery.properties.headers)
        await Telemetry.withHop("process \(delivery.routingKey)", kind: .consumer, parent: trace) { span in
            if let span { Self.describe(delivery, queue: configuration.topology.workQueue(configuration.queue), in: span) }
            await handle(delivery)
        }
    }

    /// Messaging semantic conventions for a consumed job.
    private static func describe(_ delivery: Delivery, queue: String, in span: any Span) {
        span.attributes["messaging.system"] = "rabbitmq"
        span.attributes["messaging.operation.type"] = "process"
        span.attributes["messaging.destination.name"] = queue
        span.attributes["messaging.rabbitmq.destination.routing_key"] = delivery.routingKey
        span.attributes["messaging.message.body.size"] = delivery.body.count
        if let id = delivery.properties.messageID { span.attributes["messaging.message.id"] = id }
        if let type = delivery.properties.type { span.attributes["memgrid.job.type"] = type }
        if delivery.redelivered { span.attributes["memgrid.job.redelivered"] = true }
    }

    private func handle(_ delivery: Delivery) async {
        metrics.consumed.increment()
        let attemptHeader = delivery.properties.headers[WireHeader.attempt]?.intValue ?? 1
        let attempt = Int(clamping: min(max(attemptHeader, 1), Self.maxAttemptHeader))
        var logger = self.logger
        if let id = delivery.properties.messageID { logger[metadataKey: "job.id"] = "\(id)" }
        logger.trace(TraceContext.current)
        let header = observer == nil ? nil : try? WireJSON.shared.decoder.decode(JobHeader.self, from: delivery.body)

        // Other publishers write this header too; arithmetic on a hostile value must not trap.
        guard attemptHeader == Int64(attempt) else {
            return await deadLetter(
                delivery, header, reason: .invalid,
                error: "\(WireHeader.attempt) must be between 1 and \(Self.maxAttemptHeader)", attempt: attempt)
        }

        guard let type = delivery.properties.type ?? Self.typeFromBody(delivery.body) else {
            return await deadLetter(delivery, header, reason: .malformed, error: "body is not a job envelope", attempt: attempt)
        }
        logger[metadataKey: "job.type"] = "\(type)"
        guard let entry = router.entry(for: type) else {
            return await deadLetter(delivery, header, reason: .unknownType, error: "no handler for type '\(type)'", attempt: attempt)
        }

        await notify(.started(attempt: attempt), header)
        let start = ContinuousClock.now
        do {
            let completed = try await entry(delivery.body, attempt, delivery.redelivered, logger)
            metrics.handlerDuration.record(duration: ContinuousClock.now - start)
            await complete(delivery, header, announcing: completed)
        } catch let failure as DecodingFailure {
            let reason: DeadLetterReason = Self.typeFromBody(delivery.body) == nil ? .malformed : .invalid
            await deadLetter(delivery, header, reason: reason, error: failure.summary, attempt: attempt)
        } catch let failure as JobFailure where failure.kind == .invalid {
            await deadLetter(delivery, header, reason: .invalid, error: failure.message, attempt: attempt)
        } catch let failure as JobFailure where failure.kind == .permanent {
            await deadLetter(delivery, header, reason: .permanentFailure, error: failure.message, attempt: attempt)
        } catch {
            metrics.handlerDuration.record(duration: ContinuousClock.now - start)
            let message = (error as? JobFailure)?.message ?? String(describing: error).prefix(300).description
            if attempt >= configuration.retry.maxAttempts {
                await deadLetter(delivery, header, reason: .attemptsExhausted, error: message, attempt: attempt)
            } else {
                await retry(delivery, header, attempt: attempt, error: message, after: (error as? JobFailure)?.retryAfter, logger: logger)
            }
        }
    }

    /// Acks a handled message once its `job.completed` event is confirmed. If the event
    /// cannot be published, the job goes back to the broker: handlers are idempotent, so
    /// running it again only re-announces it.
    private func complete(_ delivery: Delivery, _ header: JobHeader?, announcing event: EventEnvelope<JobCompleted>?) async {
        do {
            if let event { try await publisher.publish(.event(event, topology: configuration.topology)) }
        } catch {
            consumer.reject(delivery, requeue: true)
            metrics.requeued.increment()
            logger.warning("could not publish job.completed; requeued", metadata: ["error": "\(error)"])
            return
        }
        consumer.ack(delivery)
        metrics.acked.increment()
        await notify(.succeeded, header)
    }

    /// Far above any retry policy, far below overflow.
    static let maxAttemptHeader: Int64 = 1_000_000

    private func notify(_ event: JobEvent, _ header: JobHeader?) async {
        guard let observer, let header else { return }
        await observer.observe(event, job: header)
    }

    /// The `type` an envelope body declares, or nil if it is not a job envelope.
    static func typeFromBody(_ body: Data) -> String? {
        (try? WireJSON.shared.decoder.decode(JobHeader.self, from: body)).map { "\($0.kind).v\($0.version)" }
    }

    /// Parks the job in a delay queue. A wait the failure asked for (`retryAfter`) wins
    /// over the backoff, up to `maxDelay`, and then goes to the last delay queue: RabbitMQ
    /// expires messages only from the head of a queue, so a long wait at a low level
    /// would hold up the short ones behind it, while the last level's are long anyway.
    private func retry(
        _ delivery: Delivery, _ header: JobHeader?, attempt: Int, error: String, after requested: Duration?, logger: Logger
    ) async {
        let backoff = configuration.retry.delay(afterAttempt: attempt)
        let delay = max(backoff, min(requested ?? .zero, configuration.retry.maxDelay))
        let level = delay > backoff ? configuration.topology.retryLevels : attempt
        var properties = delivery.properties
        properties.headers[WireHeader.attempt] = .int(Int64(attempt + 1))
        properties.headers[WireHeader.error] = .string(error)
        Self.recordOrigin(of: delivery, in: &properties)
        properties.expiration = String(delay.wholeMilliseconds)
        let message = OutgoingMessage(
            exchange: "",
            routingKey: configuration.topology.retryQueue(configuration.queue, level: level),
            body: delivery.body, properties: properties)
        do {
            try await publisher.publish(message)
            consumer.ack(delivery)
            metrics.retried.increment()
            logger.info("job failed; retrying", metadata: ["job.attempt": "\(attempt)", "retry.delay": "\(delay)", "error": "\(error)"])
            await notify(.retrying(attempt: attempt, error: error), header)
        } catch {
            // Not safely parked elsewhere: leave it to the broker to deliver again.
            consumer.reject(delivery, requeue: true)
            metrics.requeued.increment()
            logger.warning("could not schedule a retry; requeued", metadata: ["error": "\(error)"])
        }
    }

    /// Remembers where the job was first published. A retried delivery arrives from the
    /// delay queue via the default exchange, so the first delivery's values win.
    private static func recordOrigin(of delivery: Delivery, in properties: inout MessageProperties) {
        if properties.headers[WireHeader.originalExchange] == nil {
            properties.headers[WireHeader.originalExchange] = .string(delivery.exchange)
        }
        if properties.headers[WireHeader.originalRoutingKey] == nil {
            properties.headers[WireHeader.originalRoutingKey] = .string(delivery.routingKey)
        }
    }

    private func deadLetter(_ delivery: Delivery, _ header: JobHeader?, reason: DeadLetterReason, error: String, attempt: Int) async {
        var properties = delivery.properties
        properties.headers[WireHeader.deadLetterReason] = .string(reason.rawValue)
        properties.headers[WireHeader.error] = .string(error)
        Self.recordOrigin(of: delivery, in: &properties)
        properties.headers[WireHeader.attempt] = .int(Int64(attempt))
        properties.headers[WireHeader.deadLetteredAt] = .string(WireJSON.format(Date()))
        properties.headers[WireHeader.deadLetterID] = .string(UUID().uuidString.lowercased())
        properties.expiration = nil
        let message = OutgoingMessage(
            exchange: "", routingKey: configuration.topology.deadLetterQueue(configuration.queue),
            body: delivery.body, properties: properties)
        let event = deadLetterEvent(for: delivery, reason: reason, error: error, attempt: attempt)
        do {
            try await publisher.publish(event.map { [message, $0] } ?? [message])
            consumer.ack(delivery)
            metrics.deadLettered[reason.rawValue]?.increment()
            logger.warning("job dead-lettered", metadata: ["dead_letter.reason": "\(reason.rawValue)", "error": "\(error)"])
            await notify(.deadLettered(attempt: attempt, reason: reason, error: error), header)
        } catch {
            consumer.reject(delivery, requeue: true)
            metrics.requeued.increment()
            logger.warning("could not dead-letter; requeued", metadata: ["error": "\(error)"])
        }
    }

    /// The `job.dead_lettered` event. Its id derives from the job id, so a re-sent event
    /// (after a crash between publish and ack) deduplicates on the consumer side.
    private func deadLetterEvent(for delivery: Delivery, reason: DeadLetterReason, error: String, attempt: Int) -> OutgoingMessage? {
        let header = try? WireJSON.shared.decoder.decode(JobHeader.self, from: delivery.body)
        let jobID = header?.id ?? delivery.properties.messageID ?? ""
        let event = EventEnvelope(
            id: "\(jobID.isEmpty ? UUID().uuidString : jobID):\(EventCatalog.jobDeadLettered.name)",
            tenantID: header?.tenantID ?? delivery.properties.headers[WireHeader.tenant]?.stringValue ?? "",
            correlationID: jobID.isEmpty ? nil : jobID,
            trace: TraceContext.current ?? header?.trace,
            payload: JobDeadLettered(
                jobID: jobID, jobType: delivery.properties.type ?? header?.typeName ?? "", queue: configuration.queue,
                reason: reason, error: error, attempts: attempt))
        return try? OutgoingMessage.event(event, topology: configuration.topology)
    }
}
