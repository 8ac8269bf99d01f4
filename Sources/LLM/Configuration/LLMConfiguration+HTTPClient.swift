public import AsyncHTTPClient

extension LLMConfiguration {
    /// An `HTTPClient` configuration sized for these providers. AsyncHTTPClient keeps 8
    /// HTTP/1.1 connections per host by default: calls the rate limiter admitted beyond
    /// that would queue inside the client (and time out there) instead of reaching a
    /// plain-HTTP provider such as vLLM or the fake. HTTP/2 providers multiplex anyway.
    public var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit, providers.map(\.maxConcurrency).max() ?? 0)
        return configuration
    }
}
