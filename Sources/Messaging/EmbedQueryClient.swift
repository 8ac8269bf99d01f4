public import Contracts
import Foundation

/// Asks the embedding workers for vectors over RPC (`embed_query.v1`, docs/contracts.md)
/// and checks their answer: what the gateway's searches and the LLM worker's extraction
/// wait on.
public struct EmbedQueryClient: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        /// No worker answered in time.
        case timeout
        case unreachable
        /// The worker answered with an RPC failure, saying why.
        case failed(String)
        case malformed
        /// The worker embedded in another space than the one asked for (a model switch in progress).
        case spaceMismatch(answered: String)
    }

    public struct Answer: Sendable {
        public var space: String
        public var vectors: [[Float]]
        public var tokens: [Int]
    }

    public let rpc: RPCClient
    public let topology: Topology

    public init(rpc: RPCClient, topology: Topology) {
        self.rpc = rpc
        self.topology = topology
    }

    /// One vector per text, in `space` (nil: the workers' active space).
    public func embed(_ texts: [String], space: String?, tenantID: String, timeout: Duration) async throws(Failure) -> Answer {
        let delivery: Delivery
        do {
            let body = try WireJSON.encoder().encode(EmbedQuery(texts: texts, space: space, tenantID: tenantID))
            delivery = try await rpc.call(
                OutgoingMessage(
                    exchange: "", routingKey: topology.rpcQueue(.embed), body: body,
                    properties: MessageProperties(timestamp: Date(), type: EmbedQuery.type)),
                timeout: timeout)
        } catch let error as BrokerError where error.code == .replyTimeout {
            throw .timeout
        } catch {
            throw .unreachable
        }
        if delivery.properties.type == RPCFailure.type {
            throw .failed((try? WireJSON.decoder().decode(RPCFailure.self, from: delivery.body))?.message ?? "the embedding worker failed")
        }
        guard let result = try? WireJSON.decoder().decode(EmbedQueryResult.self, from: delivery.body),
              let vectors = result.decodedVectors(), vectors.count == texts.count, result.tokens.count == texts.count
        else { throw .malformed }
        if let space, result.space != space { throw .spaceMismatch(answered: result.space) }
        return Answer(space: result.space, vectors: vectors, tokens: result.tokens)
    }
}
