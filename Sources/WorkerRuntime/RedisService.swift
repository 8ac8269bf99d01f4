public import Cache
public import ServiceLifecycle

/// Closes a Redis pool on graceful shutdown (the pool itself needs no run loop).
public struct RedisService: Service {
    public let client: RedisClient

    public init(client: RedisClient) {
        self.client = client
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
