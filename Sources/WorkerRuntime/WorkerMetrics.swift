import Contracts
public import CoreMetrics
import Metrics

/// The worker's metrics, created once per worker. Labels are the queue and, for
/// dead letters, the reason: never per-job values.
public struct WorkerMetrics: Sendable {
    let consumed: Counter
    let acked: Counter
    let retried: Counter
    let requeued: Counter
    let deadLettered: [String: Counter]
    let handlerDuration: Metrics.Timer
    let inFlight: Meter

    public init(queue: String, factory: any MetricsFactory) {
        let labels = [("queue", queue)]
        consumed = Counter(label: "memgrid_jobs_consumed_total", dimensions: labels, factory: factory)
        acked = Counter(label: "memgrid_jobs_acked_total", dimensions: labels, factory: factory)
        retried = Counter(label: "memgrid_jobs_retried_total", dimensions: labels, factory: factory)
        requeued = Counter(label: "memgrid_jobs_requeued_total", dimensions: labels, factory: factory)
        var deadLettered: [String: Counter] = [:]
        for reason in DeadLetterReason.allCases.map(\.rawValue) {
            deadLettered[reason] = Counter(
                label: "memgrid_jobs_dead_lettered_total", dimensions: labels + [("reason", reason)], factory: factory)
        }
        self.deadLettered = deadLettered
        handlerDuration = Metrics.Timer(
            label: "memgrid_job_handler_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds,
            factory: factory)
        inFlight = Meter(label: "memgrid_jobs_in_flight", dimensions: labels, factory: factory)
    }
}
