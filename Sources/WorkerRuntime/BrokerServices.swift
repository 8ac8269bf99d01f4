public import Messaging
public import ServiceLifecycle

/// Runs a `Publisher` as a service: started with the group, closed (after its pending
/// confirms) on graceful shutdown. List it before the services that publish, so it
/// shuts down after them.
public struct PublisherService: Service {
    public let publisher: Publisher

    public init(_ publisher: Publisher) {
        self.publisher = publisher
    }

    public func run() async throws {
        publisher.start()
        try? await gracefulShutdown()
        await publisher.close()
    }
}

/// Runs an `RPCClient`'s reply consumer; closes it on graceful shutdown.
public struct RPCClientService: Service {
    public let client: RPCClient

    public init(client: RPCClient) {
        self.client = client
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            await client.run()
        } onGracefulShutdown: {
            Task { await client.close() }
        }
    }
}
