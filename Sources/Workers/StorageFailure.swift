import PostgresNIO
import WorkerRuntime

/// Maps storage errors to job failures: a foreign-key violation means the job names a
/// tenant that does not exist, or its vectors go to an embedding space that was dropped
/// (`memgrid spaces drop`) while this worker still serves it; retrying fixes neither.
enum StorageFailure {
    static func classify(_ error: any Error) -> any Error {
        let underlying = (error as? PostgresTransactionError)?.closureError ?? error
        if let error = underlying as? PSQLError, error.serverInfo?[.sqlState] == "23503" {
            if error.serverInfo?[.constraintName]?.contains("space_id") == true {
                return JobFailure.permanent(
                    "the embedding space was dropped while this worker serves it: restart the worker, then replay")
            }
            return JobFailure.permanent("unknown tenant: create it before submitting jobs for it")
        }
        return error
    }

    static func classifying<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw classify(error)
        }
    }
}
