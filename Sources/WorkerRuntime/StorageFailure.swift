import PostgresNIO

/// Maps storage errors to job failures: a foreign-key violation means the job names a
/// tenant that does not exist, or its vectors go to an embedding space that was dropped
/// (`memgrid spaces drop`) while this worker still serves it; retrying fixes neither.
package enum StorageFailure {
    package static func classify(_ error: any Error) -> any Error {
        let underlying = (error as? PostgresTransactionError)?.closureError ?? error
        if let error = underlying as? PSQLError, error.serverInfo?[.sqlState] == "23503" {
            let constraint = error.serverInfo?[.constraintName] ?? ""
            if constraint.contains("space_id") {
                return JobFailure.permanent(
                    "the embedding space was dropped while this worker serves it: restart the worker, then replay")
            }
            if constraint.contains("tenant_id") {
                return JobFailure.permanent("unknown tenant: create it before submitting jobs for it")
            }
            return JobFailure.permanent("a record this job refers to does not exist (\(constraint))")
        }
        return error
    }

    package static func classifying<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw classify(error)
        }
    }
}
