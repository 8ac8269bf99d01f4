import Cache
import Foundation
import Testing
import TestSupport

@Suite("Redis client under failures and load")
struct RedisResilienceTests {
    @Test func commandTimeoutFailsThenTheSameClientRecovers() async throws {
        // The timeout leaves room for the recovery commands on a busy machine (the test
        // suite runs the embedding model alongside).
        try await withTestClient({ $0.poolSize = 1; $0.commandTimeout = .seconds(1) }) { client, prefix in
            // BLPOP on an empty list blocks only this connection (unlike DEBUG SLEEP, which
            // would stall the shared server for every other test).
            let error = await #expect(throws: RedisClient.Error.self) {
                try await client.send("BLPOP", prefix + "empty", "10")
            }
            #expect(error?.code == .timeout)

            // The only connection was dropped; the next command reconnects and works.
            try await client.ping()
            try await client.set(prefix + "after", "ok")
            #expect(try await client.get(prefix + "after") == Array("ok".utf8))
        }
    }

    @Test func serverDownFailsWithConnectionFailed() async throws {
        let down = try ClosedPort()
        defer { down.close() }
        let client = RedisClient(configuration: .init(host: "127.0.0.1", port: down.port, poolSize: 2))
        // More callers than connections: queued ones must fail too, not hang.
        let codes = await withTaskGroup(of: RedisClient.Error.Code?.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        try await client.ping()
                        return nil
                    } catch let error as RedisClient.Error {
                        return error.code
                    } catch {
                        return nil
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes == Array(repeating: .connectionFailed, count: 10))
        await client.shutdown()
    }

    @Test func recoversWhenTheServerComesBack() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        var configuration = server.configuration
        configuration.poolSize = 2
        configuration.commandTimeout = .seconds(1)
        let client = RedisClient(configuration: configuration)
        try await server.waitUntilReady(client)
        try await client.set("k", "before")
        #expect(try await client.get("k") == Array("before".utf8))

        server.crash()
        for _ in 0..<3 {
            let error = await #expect(throws: RedisClient.Error.self) { try await client.get("k") }
            #expect(error?.code == .connectionFailed)
        }

        try server.start()
        try await server.waitUntilReady(client)
        try await client.set("k", "after")
        #expect(try await client.get("k") == Array("after".utf8))
        await client.shutdown()
    }

    @Test func serverDyingMidWriteIsAnErrorNotSIGPIPE() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        var configuration = server.configuration
        configuration.commandTimeout = .seconds(20)
        let client = RedisClient(configuration: configuration)
        try await server.waitUntilReady(client)

        // A frozen server stops reading: the write of 32 MiB blocks once socket buffers fill,
        // and killing the server then makes write(2) fail with EPIPE/ECONNRESET. Without
        // SIGPIPE blocked on the connection thread, that signal would kill the test process.
        server.freeze()
        let write = Task { try await client.set("big", [UInt8](repeating: 0x41, count: 32 << 20)) }
        try await Task.sleep(for: .milliseconds(200))
        server.crash()

        let error = await #expect(throws: RedisClient.Error.self) { try await write.value }
        // `.connectionLost` when the write was under way (the usual case); `.connectionFailed`
        // if the task only started after the crash. Either way: an error, not a dead process.
        #expect(error?.code == .connectionLost || error?.code == .connectionFailed)
        await client.shutdown()
    }

    @Test func authenticatesAndSelectsTheDatabase() async throws {
        let password = "s3cret-test-pw"
        let server = try PrivateRedisServer(extraArguments: ["--requirepass", password])
        defer { server.crash() }
        let client = RedisClient(configuration: try .init(url: "redis://:\(password)@127.0.0.1:\(server.port)/3"))
        try await server.waitUntilReady(client)
        try await client.set("k", "in-db-3")
        #expect(try await client.send("CLIENT", "INFO").string?.contains(" db=3 ") == true)

        var db0 = server.configuration
        db0.password = password
        let otherDatabase = RedisClient(configuration: db0)
        #expect(try await otherDatabase.get("k") == nil)

        var wrong = server.configuration
        wrong.password = "wrong-test-pw"
        let rejected = RedisClient(configuration: wrong)
        let authError = await #expect(throws: RedisClient.Error.self) { try await rejected.ping() }
        #expect(authError?.code == .authenticationFailed)
        #expect(authError.map { !"\($0)".contains("wrong-test-pw") } == true)

        let anonymous = RedisClient(configuration: server.configuration)
        let noAuth = await #expect(throws: RedisClient.Error.self) { try await anonymous.ping() }
        #expect(noAuth?.code == .server)
        #expect(noAuth?.message.hasPrefix("NOAUTH") == true)

        for client in [client, otherDatabase, rejected, anonymous] { await client.shutdown() }
    }

    @Test func concurrentCallersShareThePoolWithoutMixingReplies() async throws {
        try await withTestClient({ $0.poolSize = 4 }) { client, prefix in
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let key = "\(prefix)\(index)"
                        let value = Array("value-\(index)-\(UUID().uuidString)".utf8)
                        try await client.set(key, value)
                        _ = try await client.send("INCR", prefix + "counter")
                        return try await client.get(key) == value
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0 })
            #expect(try await client.get(prefix + "counter") == Array("200".utf8))
        }
    }

    @Test func poolNeverOpensMoreThanPoolSizeAndShutdownClosesEverything() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let probe = RedisClient(configuration: server.configuration)
        try await server.waitUntilReady(probe)

        var configuration = server.configuration
        configuration.poolSize = 3
        let client = RedisClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 { group.addTask { try await client.ping() } }
            try await group.waitForAll()
        }
        let during = try await connectedClients(probe)
        #expect((2...4).contains(during), "pool of 3 plus the probe")

        await client.shutdown()
        let closed = await TestBroker.eventually { (try? await connectedClients(probe)) == 1 }
        #expect(closed, "every pooled connection is closed after shutdown")

        let error = await #expect(throws: RedisClient.Error.self) { try await client.ping() }
        #expect(error?.code == .closed)
        await probe.shutdown()
    }

    @Test func waitersTimeOutOrCancelWhileEveryConnectionIsBusy() async throws {
        let server = try PrivateRedisServer()
        defer { server.crash() }
        let probe = RedisClient(configuration: server.configuration)
        try await server.waitUntilReady(probe)

        var configuration = server.configuration
        configuration.poolSize = 1
        configuration.commandTimeout = .seconds(10)
        configuration.acquireTimeout = .milliseconds(200)
        let client = RedisClient(configuration: configuration)

        // Hold the only connection in a BLPOP until the probe pushes.
        let blocked = Task { try await client.send("BLPOP", "list", "8") }
        let holding = await TestBroker.eventually { (try? await blockedClients(probe)) == 1 }
        try #require(holding)

        let timeout = await #expect(throws: RedisClient.Error.self) { try await client.ping() }
        #expect(timeout?.code == .timeout)

        let cancelled = Task { try await client.ping() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }

        _ = try await probe.send("LPUSH", "list", "x")
        #expect(try await blocked.value == .array([.bulkString(Array("list".utf8)), .bulkString([0x78])]))
        try await client.ping()

        await client.shutdown()
        await probe.shutdown()
    }

    private func connectedClients(_ probe: RedisClient) async throws -> Int {
        try await infoField("connected_clients", probe)
    }

    private func blockedClients(_ probe: RedisClient) async throws -> Int {
        try await infoField("blocked_clients", probe)
    }

    private func infoField(_ name: String, _ probe: RedisClient) async throws -> Int {
        let info = try await probe.send("INFO", "clients").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }
        return try #require(line.flatMap { Int($0.dropFirst(name.count + 1)) })
    }
}
