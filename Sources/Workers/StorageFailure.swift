import PostgresNIO
import WorkerRuntime

/// Maps storage errors to job failures: a foreign-key violation means the job names a
/// tenant that does not exist, which retrying cannot fix.
enum StorageFailure {
    static func classify(_ error: any Error) -> any Error {
        let underlying = (error as? PostgresTransactionError)?.closureError ?? error
        if let error = underlying as? PSQLError, error.serverInfo?[.sqlState] == "23503" {
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
