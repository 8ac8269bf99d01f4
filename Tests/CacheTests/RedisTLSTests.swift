import Cache
import Foundation
import Testing
import TestSupport

/// `rediss://` against the local Redis behind a TLS terminator (socat, as DCS's TLS port
/// or a load balancer would be), with certificates made by openssl for the test.
@Suite("Redis connections over TLS")
struct RedisTLSTests {
    func client(_ terminator: TLSTerminator, host: String = "localhost", caFile: String, verify: Bool = true) throws -> RedisClient {
        var configuration = try RedisClient.Configuration(url: "rediss://\(host):\(terminator.port)")
        configuration.tls = .init(caFile: caFile, verifyPeer: verify)
        configuration.poolSize = 2
        // The tests name why a connection fails; on a loaded machine the handshake through
        // the terminator can take longer than the 2 s defaults, which would fail as a timeout.
        configuration.connectTimeout = .seconds(20)
        configuration.commandTimeout = .seconds(20)
        return RedisClient(configuration: configuration)
    }

    static var target: String {
        let configuration = try! RedisClient.Configuration(url: TestRedis.url)
        return "\(configuration.host):\(configuration.port)"
    }

    @Test("commands, pipelines and values larger than a TLS record round-trip, trusting the test CA")
    func roundTripOverTLS() async throws {
        try await TLSTerminator.with(target: Self.target) { terminator in
            let redis = try client(terminator, caFile: terminator.caFile)
            let prefix = TestRedis.makePrefix()
            // 1 MiB: many TLS records each way, and more than one socket buffer.
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await redis.set(prefix + "big", value, ttl: .seconds(60))
            #expect(try await redis.mget([prefix + "big", prefix + "absent"]) == [value, nil])
            let replies = try await redis.pipeline((0..<500).map { _ in ["INCR", (prefix + "n").redisArgument] })
            #expect(replies.last?.integer == 500)
            // Both pooled connections, concurrently.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await redis.send("PING") } }
                try await group.waitForAll()
            }
            _ = try await redis.del([prefix + "big", prefix + "n"])
            await redis.shutdown()
        }
    }

    @Test("an untrusted CA or another host name is refused with the TLS reason; unverified it connects")
    func verificationFailuresAreClearErrors() async throws {
        try await TLSTerminator.with(target: Self.target) { terminator in
            let untrusted = try client(terminator, caFile: terminator.otherCAFile)
            let refused = await #expect(throws: RedisClient.Error.self) { try await untrusted.send("PING") }
            #expect(refused?.message.contains("TLS:") == true && refused?.message.contains("CERTIFICATE_VERIFY_FAILED") == true, "\(String(describing: refused))")
            await untrusted.shutdown()

            // The certificate names localhost only.
            let wrongName = try client(terminator, host: "127.0.0.1", caFile: terminator.caFile)
            let mismatch = await #expect(throws: RedisClient.Error.self) { try await wrongName.send("PING") }
            #expect(mismatch?.message.contains("TLS:") == true, "\(String(describing: mismatch))")
            await wrongName.shutdown()

            let unchecked = try client(terminator, host: "127.0.0.1", caFile: terminator.otherCAFile, verify: false)
            #expect(try await unchecked.send("PING").string == "PONG")
            await unchecked.shutdown()
        }
    }
}
