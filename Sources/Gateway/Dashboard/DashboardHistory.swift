import Foundation
import WorkerRuntime

/// The dashboard's time series: the last `capacity` samples of queue depths and of the
/// rates derived from the processes' heartbeat counters. A value type; the sampler keeps
/// it behind a lock.
struct DashboardHistory: Sendable {
    struct Depth: Sendable, Equatable {
        /// Ready messages in the work queue.
        var ready: Int
        /// Messages waiting in the queue's delay (retry) queues, all levels together.
        var retrying: Int
        /// Messages in the queue's dead-letter queue.
        var deadLettered: Int
        var consumers: Int
    }

    /// Per-second rates, keyed by counter name (`Heartbeat.Counter`).
    typealias Rates = [String: Double]

    struct Sample: Sendable {
        var time: Date
        /// By queue; nil when the broker could not be asked.
        var depths: [String: Depth]?
        /// Summed over the live instances consuming each queue.
        var queueRates: [String: Rates]
        /// Summed over every live instance.
        var rates: Rates
        var workers: [Heartbeat]
    }

    let capacity: Int
    private(set) var samples: [Sample] = []
    /// Each sender's (`Heartbeat.id`) last distinct beat and the rates it gave.
    private var last: [String: (beat: Heartbeat, rates: Rates)] = [:]

    init(capacity: Int) {
        self.capacity = max(capacity, 2)
    }

    mutating func record(time: Date, depths: [String: Depth]?, heartbeats: [Heartbeat]) {
        var queueRates: [String: Rates] = [:]
        var totals: Rates = [:]
        var seen: [String: (beat: Heartbeat, rates: Rates)] = [:]
        for beat in heartbeats {
            let instanceRates = rates(of: beat)
            seen[beat.id] = (beat, instanceRates)
            totals.merge(instanceRates, uniquingKeysWith: +)
            if let queue = beat.queue { queueRates[queue, default: [:]].merge(instanceRates, uniquingKeysWith: +) }
        }
        last = seen
        samples.append(Sample(time: time, depths: depths, queueRates: queueRates, rates: totals, workers: heartbeats))
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }

    /// Counter increase per second since the instance's previous distinct beat (the same
    /// beat read twice keeps its rates). A restarted instance counts from zero again: its
    /// counters are taken as the increase since it started.
    private func rates(of beat: Heartbeat) -> Rates {
        guard let previous = last[beat.id] else { return [:] }
        guard beat.sentAt > previous.beat.sentAt else { return previous.rates }
        let restarted = beat.startedAt != previous.beat.startedAt
            || beat.counters.contains { name, value in value < previous.beat.counters[name] ?? 0 }
        let since = restarted ? beat.startedAt : previous.beat.sentAt
        let seconds = beat.sentAt.timeIntervalSince(since)
        guard seconds > 0 else { return [:] }
        var result = Rates()
        for (name, value) in beat.counters {
            result[name] = (restarted ? value : value - (previous.beat.counters[name] ?? 0)) / seconds
        }
        return result
    }
}
