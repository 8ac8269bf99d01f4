public import Contracts
public import Logging
public import Storage

/// Keeps the `jobs` rows of gateway-submitted jobs current. A failed update is logged
/// and ignored: the job's outcome stands, only its status page lags.
public struct JobStatusObserver: JobObserver {
    let repository: JobRepository
    let logger: Logger

    public init(repository: JobRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    public func observe(_ event: JobEvent, job: JobHeader) async {
        do {
            switch event {
            case .started(let attempt):
                try await repository.markRunning(id: job.id, attempt: attempt, logger: logger)
            case .succeeded:
                try await repository.markSucceeded(id: job.id, logger: logger)
            case .retrying(let attempt, let error):
                try await repository.markRetrying(id: job.id, attempt: attempt, error: error, logger: logger)
            case .deadLettered(let attempt, let reason, let error):
                try await repository.markDeadLettered(id: job.id, attempt: attempt, error: "\(reason.rawValue): \(error)", logger: logger)
            }
        } catch {
            logger.warning("could not update job status", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }
}
