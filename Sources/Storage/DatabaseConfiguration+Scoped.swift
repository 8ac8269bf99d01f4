public import Logging
public import PostgresNIO

extension DatabaseConfiguration {
    /// Runs `body` with a client that lives only for its duration: for CLI commands,
    /// start-up checks and tests. Long-running processes run a `PostgresClient` as a
    /// service instead.
    public static func withClient<T: Sendable>(
        url: String, maxConnections: Int = 2, logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        try await withClient(DatabaseConfiguration(url: url, maxConnections: maxConnections), logger: logger, body)
    }

    /// The same, with a configuration of the caller's.
    public static func withClient<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration.client, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // A query before run() makes PostgresNIO warn. run() marks the client running
            // before it first suspends, and an immediate task gets that far before
            // `addImmediateTask` returns.
            group.addImmediateTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
