public import Contracts
public import Foundation

/// Why a typed call ended without its reply.
public enum RPCCallError: Error, Sendable, CustomStringConvertible {
    /// No reply (or, streaming, no end of the call) within the timeout.
    case timeout
    /// The request could not be sent, or the reply queue went away.
    case unreachable(BrokerError)
    /// The worker answered with a failure, saying why in the caller's terms.
    case failed(RPCFailure)
    /// A reply that is not what the request declares.
    case malformed(String)

    public var description: String {
        switch self {
        case .timeout: "no reply in time"
        case .unreachable(let error): "unreachable: \(error)"
        case .failed(let failure): "\(failure.code): \(failure.message)"
        case .malformed(let why): "malformed reply: \(why)"
        }
    }
}

/// A reply as the worker sent it: its type is known, its body is decoded on demand, so
/// a caller that relays it (the gateway's chat pass-through) keeps the exact bytes.
public struct RPCReply<Value: RPCMessage>: Sendable {
    public let body: Data

    public func decoded() throws(RPCCallError) -> Value {
        do {
            return try WireJSON.decoder().decode(Value.self, from: body)
        } catch {
            throw .malformed("\(Value.type): \(error)")
        }
    }
}

/// One reply of a streamed call: a chunk, or the reply that ends it.
public enum RPCStreamEvent<Request: RPCRequest>: Sendable {
    case chunk(RPCReply<Request.Chunk>)
    case reply(RPCReply<Request.Reply>)
}

extension RPCClient {
    /// Sends `request` to its queue's RPC queue and waits for the reply, at most `timeout`.
    /// - Parameter messageID: the call's id for the worker (the gateway's request id).
    public func call<Request: RPCRequest>(
        _ request: Request, topology: Topology, messageID: String? = nil, timeout: Duration
    ) async throws(RPCCallError) -> RPCReply<Request.Reply> {
        let message = try Self.message(request, topology: topology, messageID: messageID)
        let delivery: Delivery
        do {
            delivery = try await call(message, timeout: timeout)
        } catch {
            throw Self.callError(error)
        }
        guard case .reply(let reply) = try Self.event(Request.self, delivery) else {
            throw .malformed("a \(Request.Chunk.type) chunk answered a call that does not stream")
        }
        return reply
    }

    /// Sends `request` and yields its chunks, then its reply; a failure reply is thrown
    /// as `RPCCallError.failed`. Ending the iteration early abandons the call.
    public func stream<Request: RPCRequest>(
        _ request: Request, topology: Topology, messageID: String? = nil, timeout: Duration
    ) async throws(RPCCallError) -> RPCReplies<Request> {
        let message = try Self.message(request, topology: topology, messageID: messageID)
        do {
            return RPCReplies(try await stream(message, timeout: timeout) { $0.properties.type != Request.Chunk.type })
        } catch {
            throw Self.callError(error)
        }
    }

    private static func message<Request: RPCRequest>(
        _ request: Request, topology: Topology, messageID: String?
    ) throws(RPCCallError) -> OutgoingMessage {
        let body: Data
        do {
            body = try WireJSON.encoder().encode(request)
        } catch {
            throw .malformed("\(Request.type) request: \(error)")
        }
        return OutgoingMessage(
            exchange: "", routingKey: topology.rpcQueue(Request.queue), body: body,
            properties: MessageProperties(messageID: messageID, timestamp: Date(), type: Request.type))
    }

    static func event<Request: RPCRequest>(_: Request.Type, _ delivery: Delivery) throws(RPCCallError) -> RPCStreamEvent<Request> {
        switch delivery.properties.type {
        case Request.Reply.type?:
            return .reply(RPCReply(body: delivery.body))
        case Request.Chunk.type?:
            return .chunk(RPCReply(body: delivery.body))
        case RPCFailure.type?:
            throw .failed(try RPCReply<RPCFailure>(body: delivery.body).decoded())
        case let other:
            throw .malformed("\(Request.type) answered by type \(other ?? "none")")
        }
    }

    static func callError(_ error: any Error) -> RPCCallError {
        switch error {
        case let error as RPCCallError: error
        case let error as BrokerError where error.code == .replyTimeout: .timeout
        case let error as BrokerError: .unreachable(error)
        default: .unreachable(BrokerError(.closed, "\(error)"))
        }
    }
}

/// The replies of a streamed call, typed: chunks, then the reply that ends it.
public struct RPCReplies<Request: RPCRequest>: AsyncSequence, Sendable {
    public typealias Element = RPCStreamEvent<Request>
    private let deliveries: AsyncThrowingStream<Delivery, any Error>

    init(_ deliveries: AsyncThrowingStream<Delivery, any Error>) {
        self.deliveries = deliveries
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: deliveries.makeAsyncIterator())
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Delivery, any Error>.Iterator

        public mutating func next() async throws(RPCCallError) -> RPCStreamEvent<Request>? {
            do {
                guard let delivery = try await base.next() else { return nil }
                return try RPCClient.event(Request.self, delivery)
            } catch {
                throw RPCClient.callError(error)
            }
        }
    }
}
