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
        let client = PostgresClient(
            configuration: try DatabaseConfiguration(url: url, maxConnections: maxConnections).client,
            backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // The body waits until run() has begun: a query before it makes PostgresNIO warn.
            // run() marks the client running at its entry, right after the signal; a yield
            // lets it get there. (A preempted thread can still lose that race: PostgresNIO
            // exposes no running flag to wait on.)
            let (began, beginning) = AsyncStream<Void>.makeStream()
            group.addTask {
                beginning.finish()
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            for await _ in began {}
            await Task.yield()
            return try await body(client)
        }
    }
}
