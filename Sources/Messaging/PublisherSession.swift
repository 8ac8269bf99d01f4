import CRabbitMQ
import Contracts
import Foundation
import Logging

/// The publisher's connection thread state: unsent and unconfirmed messages survive
/// reconnects and are resent (same message id) until confirmed or past their deadline.
final class PublisherSession: ConnectionSession {
    enum Command: Sendable {
        case publish([OutgoingMessage], PublishCompletion, deadline: ContinuousClock.Instant)
    }

    private struct Pending {
        var message: OutgoingMessage
        var completion: PublishCompletion
        var deadline: ContinuousClock.Instant
    }

    private let declaration: TopologyDeclaration?
    private let logger: Logger
    /// Waiting to be written to the socket, oldest first.
    private var unsent: [Pending] = []
    private var unsentStart = 0
    /// Written and waiting for the broker's ack, by publish sequence number.
    private var unconfirmed: [UInt64: Pending] = [:]
    private var lowestUnconfirmed: UInt64 = 1
    private var nextSequence: UInt64 = 1
    /// Message ids the broker returned as unroutable; their ack fails them.
    private var returned: Set<String> = []
    private var lastExpiryCheck = ContinuousClock.now

    init(declaration: TopologyDeclaration?, logger: Logger) {
        self.declaration = declaration
        self.logger = logger
    }

    func connected(_ connection: AMQPConnection) throws(BrokerError) {
        if let declaration { try declaration.declare(on: connection) }
        try connection.enableConfirms()
        nextSequence = 1
        lowestUnconfirmed = 1
        try flush(on: connection)
    }

    func perform(_ commands: [Command], on connection: AMQPConnection) throws(BrokerError) {
        park(commands)
        try flush(on: connection)
    }

    func park(_ commands: [Command]) {
        for case .publish(let messages, let completion, let deadline) in commands {
            for message in messages {
                unsent.append(Pending(message: message, completion: completion, deadline: deadline))
            }
        }
    }

    private func flush(on connection: AMQPConnection) throws(BrokerError) {
        while unsentStart < unsent.count {
            let pending = unsent[unsentStart]
            try connection.publish(pending.message)
            unconfirmed[nextSequence] = pending
            nextSequence += 1
            unsentStart += 1
        }
        unsent.removeAll(keepingCapacity: true)
        unsentStart = 0
    }

    func received(_ frame: amqp_frame_t, on connection: AMQPConnection) throws(BrokerError) {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        let method = frame.payload.method
        switch method.id {
        case MEMGRID_BASIC_ACK:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            settle(upTo: ack.delivery_tag, multiple: ack.multiple != 0, error: nil)
        case MEMGRID_BASIC_NACK:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            settle(upTo: nack.delivery_tag, multiple: nack.multiple != 0,
                   error: BrokerError(.nacked, "the broker refused the message"))
        case MEMGRID_BASIC_RETURN:
            let (properties, _) = try connection.readContent()
            if let id = properties.messageID {
                returned.insert(id)
            } else {
                logger.error("an unroutable message without message_id was returned")
            }
        case MEMGRID_CHANNEL_CLOSE, MEMGRID_CONNECTION_CLOSE:
            throw BrokerError(.channelClosed, AMQPConnection.describeServerClose(method))
        case MEMGRID_CONNECTION_BLOCKED:
            logger.warning("broker blocked publishing (resource alarm)")
        default:
            break
        }
    }

    private func settle(upTo tag: UInt64, multiple: Bool, error: BrokerError?) {
        let tags: ClosedRange<UInt64> = multiple ? lowestUnconfirmed...max(lowestUnconfirmed, tag) : tag...tag
        for sequence in tags {
            guard let pending = unconfirmed.removeValue(forKey: sequence) else { continue }
            if let id = pending.message.properties.messageID, returned.remove(id) != nil {
                pending.completion.settle(BrokerError(
                    .unroutable,
                    "no queue bound for exchange '\(pending.message.exchange)' routing key '\(pending.message.routingKey)'"))
            } else {
                pending.completion.settle(error)
            }
        }
        while lowestUnconfirmed < nextSequence, unconfirmed[lowestUnconfirmed] == nil {
            lowestUnconfirmed += 1
        }
    }

    func tick() {
        let now = ContinuousClock.now
        guard now - lastExpiryCheck > .milliseconds(250) else { return }
        lastExpiryCheck = now
        for (sequence, pending) in unconfirmed where pending.deadline < now {
            unconfirmed.removeValue(forKey: sequence)
            pending.completion.settle(BrokerError(.confirmTimeout, "no publisher confirm before the deadline"))
        }
        // Unsent messages only pile up while the broker is unreachable.
        expireUnsent(now: now, reason: "broker unreachable until the publish deadline")
    }

    private func expireUnsent(now: ContinuousClock.Instant, reason: String) {
        guard unsentStart < unsent.count else { return }
        unsent = Array(unsent[unsentStart...])
        unsentStart = 0
        unsent.removeAll { pending in
            guard pending.deadline < now else { return false }
            pending.completion.settle(BrokerError(.confirmTimeout, reason))
            return true
        }
    }

    func disconnected(_ error: BrokerError) {
        // Whatever was not confirmed is resent on the next connection, in order.
        let resend = unconfirmed.sorted { $0.key < $1.key }.map(\.value)
        unconfirmed.removeAll()
        unsent = resend + unsent[unsentStart...]
        unsentStart = 0
        returned.removeAll()
        expireUnsent(now: .now, reason: "broker unavailable until the publish deadline: \(error.message)")
    }

    var canStop: Bool { unconfirmed.isEmpty && unsentStart >= unsent.count }

    func stopped() {
        let error = BrokerError(.closed, "publisher closed before the message was confirmed")
        for pending in unsent[unsentStart...] { pending.completion.settle(error) }
        for pending in unconfirmed.values { pending.completion.settle(error) }
        unsent.removeAll()
        unsentStart = 0
        unconfirmed.removeAll()
    }
}
