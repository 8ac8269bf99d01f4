import Contracts
public import CoreMetrics
public import Foundation
public import Logging
public import Messaging
public import ServiceLifecycle
import Tracing

/// Answers RPC requests from one queue: each request's reply goes to its `reply_to`
/// queue with its `correlation_id`, then the request is acked. Requests are never
/// retried or dead-lettered: a failure is answered as an `RPCFailure`, and an expired
/// request is dropped by the broker before it reaches a worker.
public final class RPCServer: Service, Sendable {
    /// The reply to one request: its AMQP `type` and JSON body.
    public struct Reply: Sendable {
        public var type: String
        public var body: Data

        public init(type: String, body: Data) {
            self.type = type
            self.body = body
        }
    }

    /// Answers one request: sends any intermediate replies (a streamed answer's chunks)
    /// through `replies`, and returns the final one.
    public typealias Handler = @Sendable (_ request: Delivery, _ replies: Replies) async -> Reply

    /// Sends intermediate replies to one request's caller, in order.
    public struct Replies: Sendable {
        let deliver: @Sendable (Reply) async throws -> Void

        /// Throws when the broker did not take the reply; the caller may be gone, so a
        /// handler should stop producing.
        public func send(_ reply: Reply) async throws {
            try await deliver(reply)
        }
    }

    private let consumer: Consumer
    private let publisher: Publisher
    private let handler: Handler
    private let logger: Logger
    private let loop: DeliveryLoop

    /// - Parameters:
    ///   - consumer: consumes the RPC queue; the server starts and closes it.
    ///   - publisher: sends replies; owned by the caller.
    ///   - factory: makes `memgrid_rpc_requests_in_flight` and `memgrid_rpc_requests_requeued_total`,
    ///     labelled with the queue.
    public init(
        consumer: Consumer, publisher: Publisher, drainTimeout: Duration = .seconds(5), factory: any MetricsFactory,
        logger: Logger, handler: @escaping Handler
    ) {
        self.consumer = consumer
        self.publisher = publisher
        self.handler = handler
        var logger = logger
        logger[metadataKey: "rpc.queue"] = "\(consumer.queue)"
        self.logger = logger
        let labels = [("queue", consumer.queue)]
        loop = DeliveryLoop(
            consumer: consumer, drainTimeout: drainTimeout,
            requeued: Counter(label: "memgrid_rpc_requests_requeued_total", dimensions: labels, factory: factory),
            inFlight: Meter(label: "memgrid_rpc_requests_in_flight", dimensions: labels, factory: factory), logger: logger)
    }

    public func run() async throws {
        await loop.run { delivery in await self.answer(delivery) }
    }

    private func answer(_ delivery: Delivery) async {
        guard let replyTo = delivery.properties.replyTo, !replyTo.isEmpty else {
            logger.warning("RPC request without reply_to; dropped", metadata: ["type": "\(delivery.properties.type ?? "")"])
            return consumer.ack(delivery)
        }
        let correlationID = delivery.properties.correlationID
        let send: @Sendable (Reply) async throws -> Void = { [publisher] reply in
            try await publisher.publish(OutgoingMessage(
                exchange: "", routingKey: replyTo, body: reply.body,
                properties: MessageProperties(persistent: false, correlationID: correlationID, timestamp: Date(), type: reply.type),
                // The caller may have gone (its reply queue with it): nothing to deliver then.
                mandatory: false))
        }
        // The caller's trace continues here (provider calls, logs).
        let type = delivery.properties.type ?? "unknown"
        let reply = await Telemetry.withHop(
            "rpc \(type)", kind: .server, parent: TraceContext(headers: delivery.properties.headers)
        ) { span in
            span?.attributes["rpc.system"] = "memgrid-amqp"
            span?.attributes["rpc.method"] = type
            return await handler(delivery, Replies(deliver: send))
        }
        do {
            try await send(reply)
        } catch {
            logger.warning("could not send an RPC reply", metadata: ["error": "\(error)"])
        }
        consumer.ack(delivery)
    }
}
