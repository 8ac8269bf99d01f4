public import Logging
public import PostgresNIO

extension PostgresClient {
    /// Answers a trivial query: what a readiness check asks of the database.
    public func isReachable(logger: Logger) async -> Bool {
        (try? await query("SELECT 1", logger: logger)) != nil
    }
}
