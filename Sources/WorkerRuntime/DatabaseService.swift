public import PostgresNIO
public import ServiceLifecycle

/// A process's `PostgresClient` as a service the others start after. The client must
/// run before its first query: until then PostgresNIO warns ("run() hasn't been called
/// yet") and the query waits on a pool nobody drives. The group starts its services
/// concurrently, so every other service waits for `begun()` (see `afterStart`).
public final class DatabaseService: Service, Sendable {
    public let client: PostgresClient
    private let began: AsyncStream<Void>
    private let beginning: AsyncStream<Void>.Continuation

    public init(client: PostgresClient) {
        self.client = client
        (began, beginning) = AsyncStream.makeStream()
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            // `client.run()` marks the client running before it first suspends, and an
            // immediate task gets that far before `addImmediateTask` returns: the services
            // let go below find the client running.
            group.addImmediateTask { await self.client.run() }
            beginning.finish()
        }
    }

    /// Returns once the client runs.
    public func begun() async {
        for await _ in began {}
    }

    /// `services` wrapped to start once this client runs.
    public func afterStart(_ services: [any Service]) -> [any Service] {
        services.map { AfterDatabase(database: self, service: $0) }
    }
}

/// A service that starts once the process's database client runs.
private struct AfterDatabase: Service, CustomStringConvertible {
    let database: DatabaseService
    let service: any Service

    var description: String { "\(service)" }

    func run() async throws {
        await database.begun()
        try await service.run()
    }
}
