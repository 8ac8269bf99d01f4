import Cache
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TestRedis {
    static func configuration() throws -> RedisClient.Configuration {
        try RedisClient.Configuration(url: url)
    }

    /// Keys under a fresh prefix, so concurrently running tests never see each other's data.
    static func makePrefix() -> String {
        "memgrid-test:\(UUID().uuidString):"
    }
}

/// Runs `body` with a client on the shared test Redis and a private key prefix, then deletes
/// the prefix's keys and shuts the client down (also when `body` throws).
func withTestClient(
    _ configure: (inout RedisClient.Configuration) -> Void = { _ in },
    _ body: (RedisClient, String) async throws -> Void
) async throws {
    var configuration = try TestRedis.configuration()
    configure(&configuration)
    let client = RedisClient(configuration: configuration)
    let prefix = TestRedis.makePrefix()
    do {
        try await body(client, prefix)
    } catch {
        try? await deleteKeys(withPrefix: prefix, using: client)
        await client.shutdown()
        throw error
    }
    try await deleteKeys(withPrefix: prefix, using: client)
    await client.shutdown()
}

private func deleteKeys(withPrefix prefix: String, using client: RedisClient) async throws {
    var cursor = "0"
    repeat {
        let reply = try await client.send("SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000")
        guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array else {
            Issue.record("unexpected SCAN reply")
            return
        }
        try await client.del(keys.compactMap(\.bytes))
        cursor = next
    } while cursor != "0"
}

extension PrivateRedisServer {
    var configuration: RedisClient.Configuration {
        RedisClient.Configuration(host: "127.0.0.1", port: port)
    }

    /// Waits (bounded) until the server answers PING through `client`.
    func waitUntilReady(_ client: RedisClient) async throws {
        let ready = await TestBroker.eventually { (try? await client.ping()) != nil }
        try #require(ready, "redis-server on port \(port) did not come up")
    }
}
