package import AsyncHTTPClient
import ServiceLifecycle

/// Owns an outbound `HTTPClient` (LLM providers, tenants' webhooks) in a `ServiceGroup`:
/// waits for graceful shutdown, then shuts the client down. Listed as a dependency, it
/// stops after the consumers that use it have drained.
package struct HTTPClientService: Service {
    let client: HTTPClient

    package init(client: HTTPClient) {
        self.client = client
    }

    package func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
