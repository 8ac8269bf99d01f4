public import Contracts

/// What happened to a job, as the worker saw it.
public enum JobEvent: Sendable, Equatable {
    case started(attempt: Int)
    case succeeded
    case retrying(attempt: Int, error: String)
    case deadLettered(attempt: Int, reason: DeadLetterReason, error: String)
}

/// Told about each job's progress (e.g. to keep `GET /v1/jobs/{id}` current). Called
/// after the fact it reports is settled with the broker; it cannot change the outcome,
/// so it must not throw and should be quick.
public protocol JobObserver: Sendable {
    func observe(_ event: JobEvent, job: JobHeader) async
}
