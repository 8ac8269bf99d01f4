public import Contracts
public import CoreMetrics
import Foundation
public import Logging
public import Messaging
public import ServiceLifecycle
import Tracing

/// Answers one call type declared in Contracts: the request arrives decoded, the reply
/// goes back encoded; a thrown `RPCFailure` is the caller's answer instead.
public protocol RPCHandler: Sendable {
    associatedtype Request: RPCRequest
    func answer(_ request: Request, context: RPCContext<Request>) async throws(RPCFailure) -> Request.Reply
}

/// What a handler knows of one call besides the request, and how it streams.
public struct RPCContext<Request: RPCRequest>: Sendable {
    /// The caller's id for the call (the gateway's request id), if it gave one.
    public let messageID: String?
    /// Unique per call.
    public let correlationID: String?
    let sendChunk: @Sendable (Data) async throws -> Void

    /// Sends one chunk of a streamed answer to the caller, in order. Throws when the
    /// broker did not take it; the caller may be gone, so a handler should stop producing.
    public func send(_ chunk: Request.Chunk) async throws {
        try await sendChunk(try RPCServer.encoder.encode(chunk))
    }
}

/// Answers RPC requests from one queue with an `RPCHandler`: each reply goes to the
/// request's `reply_to` queue with its `correlation_id`, then the request is acked.
/// Requests are never retried or dead-lettered: a failure is answered as an `RPCFailure`,
/// and an expired request is dropped by the broker before it reaches a worker.
public final class RPCServer: Service, Sendable {
    /// One reply on the wire: its AMQP `type` and JSON body.
    struct Reply: Sendable {
        var type: String
        var body: Data
    }

    /// Answers one delivery: sends any chunks through the closure, returns the final reply.
    typealias Answer = @Sendable (_ request: Delivery, _ send: @escaping @Sendable (Reply) async throws -> Void) async -> Reply

    static var encoder: JSONEncoder { WireJSON.shared.encoder }
    private static var decoder: JSONDecoder { WireJSON.shared.decoder }

    private let consumer: Consumer
    private let publisher: Publisher
    private let handler: Answer
    private let logger: Logger
    private let loop: DeliveryLoop

    /// - Parameters:
    ///   - consumer: consumes the RPC queue; the server starts and closes it.
    ///   - publisher: sends replies; owned by the caller.
    ///   - factory: makes `memgrid_rpc_requests_in_flight` and `memgrid_rpc_requests_requeued_total`,
    ///     labelled with the queue.
    public init(
        consumer: Consumer, publisher: Publisher, drainTimeout: Duration = .seconds(5), factory: any MetricsFactory,
        logger: Logger, handler: some RPCHandler
    ) {
        self.consumer = consumer
        self.publisher = publisher
        self.handler = { request, send in await Self.answer(request, with: handler, send: send) }
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
            return await handler(delivery, send)
        }
        do {
            try await send(reply)
        } catch {
            logger.warning("could not send an RPC reply", metadata: ["error": "\(error)"])
        }
        consumer.ack(delivery)
    }

    /// Decodes the request, runs the handler, encodes its reply or failure.
    private static func answer<Handler: RPCHandler>(
        _ delivery: Delivery, with handler: Handler, send: @escaping @Sendable (Reply) async throws -> Void
    ) async -> Reply {
        typealias Request = Handler.Request
        do throws(RPCFailure) {
            guard delivery.properties.type == Request.type else {
                throw RPCFailure(code: "invalid", message: "expected type \(Request.type)")
            }
            let request: Request
            do {
                request = try decoder.decode(Request.self, from: delivery.body)
            } catch {
                throw RPCFailure(code: "invalid", message: "the body is not a \(Request.type) request: \(error)")
            }
            let context = RPCContext<Request>(
                messageID: delivery.properties.messageID, correlationID: delivery.properties.correlationID,
                sendChunk: { body in try await send(Reply(type: Request.Chunk.type, body: body)) })
            let reply = try await handler.answer(request, context: context)
            do {
                return Reply(type: Request.Reply.type, body: try encoder.encode(reply))
            } catch {
                throw RPCFailure(code: "internal", message: "the reply could not be encoded")
            }
        } catch {
            return Reply(type: RPCFailure.type, body: (try? encoder.encode(error)) ?? Data())
        }
    }
}
