import Foundation
import Testing
import WorkerRuntime
@testable import Gateway

/// Rates from heartbeat counters (docs/dashboard.md#sampling-and-rates), without servers.
struct DashboardHistoryTests {
    static let start = Date(timeIntervalSince1970: 1_000_000)

    static func beat(_ instance: String, queue: String = "embed", startedAt: Date = start, at seconds: Double, consumed: Double) -> Heartbeat {
        Heartbeat(
            role: "embed-worker", instance: instance, queue: queue, startedAt: startedAt,
            sentAt: start.addingTimeInterval(seconds), ready: true, checks: [:],
            counters: [Heartbeat.Counter.consumed: consumed])
    }

    static func consumedRates(_ history: DashboardHistory) -> [Double?] {
        history.samples.map { $0.queueRates["embed"]?[Heartbeat.Counter.consumed] }
    }

    @Test func ratesAreCounterIncreasesPerSecondSummedOverInstances() {
        var history = DashboardHistory(capacity: 10)
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", at: 0, consumed: 10), Self.beat("b", at: 0, consumed: 0)])
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", at: 5, consumed: 60), Self.beat("b", at: 2, consumed: 4)])
        // The same beats read again keep their rates instead of dropping to zero.
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", at: 5, consumed: 60), Self.beat("b", at: 2, consumed: 4)])
        #expect(Self.consumedRates(history) == [nil, 12, 12])
        #expect(history.samples.last?.rates[Heartbeat.Counter.consumed] == 12)
    }

    @Test func aRestartedInstanceCountsFromZeroAgain() {
        var history = DashboardHistory(capacity: 10)
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", at: 0, consumed: 500)])
        // A new start time: 30 jobs in the 10 s since the restart, not -470.
        let restarted = Self.start.addingTimeInterval(20)
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", startedAt: restarted, at: 30, consumed: 30)])
        // Same start time but a counter went down (a restart the start time missed): from zero too.
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", startedAt: restarted, at: 40, consumed: 20)])
        #expect(Self.consumedRates(history) == [nil, 3, 1])
    }

    @Test func theHistoryKeepsTheLatestSamplesAndForgetsVanishedInstances() {
        var history = DashboardHistory(capacity: 3)
        for second in 0..<5 {
            history.record(time: Self.start.addingTimeInterval(Double(second)), depths: nil, heartbeats: [Self.beat("a", at: Double(second), consumed: Double(second))])
        }
        #expect(history.samples.map(\.time.timeIntervalSince1970) == [1_000_002, 1_000_003, 1_000_004])
        history.record(time: Self.start, depths: nil, heartbeats: [])
        history.record(time: Self.start, depths: nil, heartbeats: [Self.beat("a", at: 9, consumed: 9)])
        #expect(Self.consumedRates(history).suffix(2) == [nil, nil], "back after a gap: no previous beat to compare with")
    }
}
