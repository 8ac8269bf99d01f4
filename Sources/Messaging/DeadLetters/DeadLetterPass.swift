import Contracts
import Foundation

/// One pass over one dead-letter queue, on a connection the calling thread owns.
///
/// It browses by rotation: each message is received (consumed with manual acks, a batch
/// at a time), then put back at the tail (a confirmed publish of the unchanged message),
/// replayed (a confirmed publish to where it came from) or dropped, and only then acked.
/// Nothing is handed back by a nack or a closed channel: RabbitMQ 4 gives every quorum
/// queue a delivery limit of 20 by default and (4.0 to 4.2 at least) counts each such
/// return against it, as any version does under a `delivery-limit` policy; a DLQ has no
/// dead-letter target, so a message browsed that often would be dropped. A put-back
/// message is a new message to the broker: its counts start again.
///
/// The pass takes as many messages as were ready when it began, so, alone on the queue
/// (`DeadLetterQueue` holds a broker-wide lock), it leaves them in their order. Each
/// batch has a consumer of its own whose prefetch is what the batch may take, cancelled
/// before the batch is acked, so the broker never hands the pass more than it asked
/// for, not even its own copies at the tail. Should something else take messages
/// meanwhile, the pass stops at the first copy it put back itself (its pass id in
/// `x-memgrid-dlq-pass`), which stays unacked and returns to the queue when the
/// connection closes. A message is never acked before its copy or replay is confirmed:
/// a failure leaves it in the queue, and a crash between confirm and ack can only leave
/// it there twice.
struct DeadLetterPass {
    enum Action { case keep, replay, drop }

    /// What an operation selects, and how many more it may take.
    struct Selection {
        var filter: DeadLetterFilter
        var action: Action
        /// Nil: no limit.
        var remaining: Int?
        var includeBodies: Bool
        var now: Date

        /// Whether `letter` is selected; counts it against the limit.
        mutating func select(_ letter: DeadLetter, report: inout DeadLetterQueue.Report) -> Bool {
            guard filter.matches(letter, now: now) else { return false }
            report.matched += 1
            guard remaining.map({ $0 > 0 }) ?? true else { return false }
            remaining = remaining.map { $0 - 1 }
            return true
        }
    }

    private struct Item {
        var message: RetainedMessage
        var letter: DeadLetter
        var action: Action
        var selected: Bool
    }

    let channel: SynchronousChannel
    let topology: Topology
    let queue: JobQueue
    let passID: String
    let batchSize: Int
    /// How long to wait for a confirm, or for a message the queue said it had.
    let timeout: Duration

    private var name: String { topology.deadLetterQueue(queue) }

    func run(_ selection: inout Selection, into report: inout DeadLetterQueue.Report) throws(BrokerError) {
        let ready: Int
        do throws(BrokerError) {
            ready = try channel.connection.declareQueue(name, passive: true).messages
        } catch {
            throw BrokerError(
                error.code, "cannot read \(name); has memgrid with prefix '\(topology.prefix)' run on this broker? \(error.message)")
        }
        var taken = 0
        var done = false
        while !done, taken < ready {
            let window = min(batchSize, ready - taken)
            let consumer = try channel.consume(name, prefetch: window)
            var batch: [Item] = []
            while batch.count < window {
                // The queue had them, so nothing within the timeout means someone else took them.
                guard let message = try channel.nextDelivery(for: consumer, timeout: timeout) else {
                    done = true
                    break
                }
                if message.properties.headers[WireHeader.deadLetterPass]?.stringValue == passID {
                    done = true
                    break
                }
                var letter = DeadLetter(message, queue: queue, deadLetterQueue: name, includeBody: false)
                report.scanned += 1
                let selected = selection.select(letter, report: &report)
                if selected, selection.includeBodies { letter.body = message.body }
                batch.append(Item(message: message, letter: letter, action: selected ? selection.action : .keep, selected: selected))
            }
            // Before the acks free its prefetch window: nothing more for this consumer.
            try channel.cancel(consumer)
            taken += batch.count
            try process(batch, into: &report)
        }
    }

    /// Replays first; then every message that stays (kept, or its replay failed) is put
    /// back in batch order, so the queue keeps its order; then the acks.
    private func process(_ batch: [Item], into report: inout DeadLetterQueue.Report) throws(BrokerError) {
        guard !batch.isEmpty else { return }
        var replays: [Int: UInt64] = [:]
        for (index, item) in batch.enumerated() where item.action == .replay {
            replays[index] = try channel.publish(item.letter.replay(of: item.message, in: topology))
        }
        let failedReplays = replays.isEmpty ? [:] : try channel.settle(timeout: timeout)

        var putBacks: [Int: UInt64] = [:]
        for (index, item) in batch.enumerated() {
            let stays = switch item.action {
            case .keep: true
            case .replay: replays[index].map { failedReplays[$0] != nil } ?? false
            case .drop: false
            }
            if stays { putBacks[index] = try putBack(item.message) }
        }
        let failedPutBacks = putBacks.isEmpty ? [:] : try channel.settle(timeout: timeout)

        var stuck: BrokerError?
        for (index, item) in batch.enumerated() {
            switch item.action {
            case .keep, .drop:
                if item.selected { report.letters.append(item.letter) }
            case .replay:
                if let error = replays[index].flatMap({ failedReplays[$0] }) {
                    report.failures.append(DeadLetterQueue.Failure(letter: item.letter, error: error.message))
                } else {
                    report.letters.append(item.letter)
                }
            }
            if let error = putBacks[index].flatMap({ failedPutBacks[$0] }) {
                // Not acked: the broker gives it back when the connection closes.
                stuck = stuck ?? error
            } else {
                try channel.ack(item.message)
            }
        }
        if let stuck {
            throw BrokerError(stuck.code, "could not put dead letters back into \(name) (they stay in it): \(stuck.message)")
        }
    }

    private func putBack(_ message: RetainedMessage) throws(BrokerError) -> UInt64 {
        try message.republish(
            to: "", routingKey: name, setting: WireHeader.deadLetterPass, to: .string(passID), on: channel)
    }
}
