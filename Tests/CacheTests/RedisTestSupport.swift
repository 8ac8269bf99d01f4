import Cache
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Redis the local stack runs; `MEMGRID_REDIS_URL` overrides the loopback default.
enum TestRedis {
    static var url: String {
        ProcessInfo.processInfo.environment["MEMGRID_REDIS_URL"] ?? "redis://127.0.0.1:36379"
    }

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

/// Polls `condition` up to `attempts` times, `interval` apart. Bounds the wait without
/// asserting anything about how long things take.
func eventually(
    attempts: Int = 200,
    interval: Duration = .milliseconds(25),
    _ condition: () async -> Bool
) async -> Bool {
    for _ in 0..<attempts {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return false
}

/// A loopback TCP port that nothing listens on right now.
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A redis-server owned by one test, on its own port, that the test can kill and restart.
final class PrivateRedisServer {
    let port: Int
    private let extraArguments: [String]
    private var process: Process?

    init(extraArguments: [String] = []) throws {
        self.port = try unusedPort()
        self.extraArguments = extraArguments
        try start()
    }

    deinit {
        crash()
    }

    var configuration: RedisClient.Configuration {
        RedisClient.Configuration(host: "127.0.0.1", port: port)
    }

    /// Starts (or restarts, on the same port) the server. Data does not survive a restart.
    func start() throws {
        precondition(process == nil, "already running")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "redis-server", "--port", "\(port)", "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
        ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// SIGKILL, like a crash: no goodbye to clients. Returns once the process has exited,
    /// so the kernel has closed its sockets.
    func crash() {
        guard let process else { return }
        self.process = nil
        if process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// SIGSTOP: the server stops reading, so a large write blocks once socket buffers fill.
    func freeze() {
        if let process { _ = kill(process.processIdentifier, SIGSTOP) }
    }

    /// Waits (bounded) until the server answers PING through `client`.
    func waitUntilReady(_ client: RedisClient) async throws {
        let ready = await eventually { (try? await client.ping()) != nil }
        try #require(ready, "redis-server on port \(port) did not come up")
    }
}
