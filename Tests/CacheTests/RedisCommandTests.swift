import Cache
import TestSupport
import Testing

@Suite("Redis commands against a real server")
struct RedisCommandTests {
    @Test func binaryValuesRoundTripUnchanged() async throws {
        try await withTestClient { client, prefix in
            var large = [UInt8](repeating: 0, count: 1 << 20)
            var generator = SystemRandomNumberGenerator()
            for index in large.indices { large[index] = generator.next() }
            let values: [(String, [UInt8])] = [
                ("every-byte", (0...255).map { UInt8($0) }),
                ("nul", [0x61, 0x00, 0x62, 0x00]),
                ("crlf", Array("a\r\nb\r\n$3\r\n*1\r\n".utf8)),
                ("empty", []),
                ("one-mebibyte", large),
            ]
            for (name, value) in values {
                // Binary keys too: a NUL or CRLF must not cut the key short.
                let key = Array((prefix + name).utf8) + [0x00, 0x0D, 0x0A, 0xFF]
                try await client.set(key, value)
                let stored = try await client.get(key)
                #expect(stored?.count == value.count, "\(name): length")
                // A Bool, not `stored == value`: a failure must not print a mebibyte of bytes.
                let identical = stored == value
                #expect(identical, "\(name): bytes differ")
                #expect(try await client.send("STRLEN", key) == .integer(Int64(value.count)), "\(name): STRLEN")
            }
            // The NUL-terminated prefix of a binary key is a different key.
            #expect(try await client.get(prefix + "nul") == nil)
        }
    }

    @Test func mgetReturnsHitsAndMissesInKeyOrder() async throws {
        try await withTestClient { client, prefix in
            try await client.set(prefix + "a", "alpha")
            try await client.set(prefix + "c", [0x00, 0xFF])
            let values = try await client.mget([prefix + "a", prefix + "b", prefix + "c", prefix + "d", prefix + "a"])
            #expect(values == [Array("alpha".utf8), nil, [0x00, 0xFF], nil, Array("alpha".utf8)])
            #expect(try await client.mget([String]()) == [])
        }
    }

    @Test func pipelineRepliesComeBackInCommandOrder() async throws {
        try await withTestClient { client, prefix in
            let count = 500
            var commands: [[RedisArgument]] = (0..<count).map { ["SET", "\(prefix)\($0)", "value-\($0)"] }
            commands += (0..<count).map { ["GET", "\(prefix)\($0)"] }
            // An error reply in the middle stays in its slot and does not disturb the rest.
            commands.insert(["INCR", "\(prefix)0"], at: count + 3)
            commands.append(["INCRBY", "\(prefix)counter", 7])

            let replies = try await client.pipeline(commands)

            try #require(replies.count == commands.count)
            #expect(replies[..<count].allSatisfy { $0 == .simpleString("OK") })
            #expect(replies[count + 3].errorMessage?.hasPrefix("ERR") == true)
            let gets = replies[count...].enumerated().filter { $0.offset != 3 }.map(\.element).dropLast()
            #expect(gets.map(\.string) == (0..<count).map { "value-\($0)" })
            #expect(replies.last == .integer(7))
        }
    }

    @Test func setWithTTLExpires() async throws {
        try await withTestClient { client, prefix in
            // The TTL is sent in milliseconds: a long one is visible in PTTL.
            try await client.set(prefix + "long", "v", ttl: .seconds(60))
            let remaining = try await client.send("PTTL", prefix + "long").integer
            #expect((1...60_000).contains(remaining ?? -1))

            try await client.set(prefix + "short", "v", ttl: .milliseconds(50))
            let expired = await TestBroker.eventually { (try? await client.get(prefix + "short")) == .some(nil) }
            #expect(expired)

            // Without a TTL the key is persistent.
            try await client.set(prefix + "forever", "v")
            #expect(try await client.send("PTTL", prefix + "forever") == .integer(-1))

            await #expect(throws: RedisClient.Error(code: .invalidArgument, message: "a TTL must be positive")) {
                try await client.set(prefix + "zero", "v", ttl: .zero)
            }
        }
    }

    @Test func setManyWritesEveryPairWithAndWithoutTTL() async throws {
        try await withTestClient { client, prefix in
            let keys = (0..<20).map { "\(prefix)k\($0)" }
            let pairs = keys.map { ($0, Array("v:\($0)".utf8)) }

            try await client.setMany(pairs, ttl: .seconds(60))
            #expect(try await client.mget(keys) == pairs.map { Optional($0.1) })
            let ttls = try await client.pipeline(keys.map { ["PTTL", RedisArgument($0)] })
            #expect(ttls.allSatisfy { (1...60_000).contains($0.integer ?? -1) })

            let persistent = keys.map { ($0 + ":p", [UInt8]("p".utf8)) }
            try await client.setMany(persistent)
            #expect(try await client.mget(persistent.map(\.0)) == persistent.map { Optional($0.1) })
            #expect(try await client.send("PTTL", persistent[0].0) == .integer(-1))

            try await client.setMany(pairs, ttl: .milliseconds(50))
            let expired = await TestBroker.eventually {
                (try? await client.mget(keys))?.allSatisfy { $0 == nil } == true
            }
            #expect(expired)
        }
    }

    @Test func delCountsOnlyExistingKeys() async throws {
        try await withTestClient { client, prefix in
            try await client.set(prefix + "x", "1")
            try await client.set(prefix + "y", "2")
            #expect(try await client.del([prefix + "x", prefix + "y", prefix + "missing"]) == 2)
            #expect(try await client.get(prefix + "x") == nil)
            #expect(try await client.del([String]()) == 0)
        }
    }

    @Test func pingAnswers() async throws {
        try await withTestClient { client, _ in
            try await client.ping()
            #expect(try await client.send("ECHO", [0x00, 0x01]) == .bulkString([0x00, 0x01]))
        }
    }

    @Test func evalAndEvalshaPassArgumentsThrough() async throws {
        try await withTestClient { client, prefix in
            let script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], redis.call('GET', KEYS[1]), 42}"
            let key = RedisArgument(prefix + "lua")
            let expected = RedisValue.array([.bulkString(key.bytes), .bulkString([0x00, 0x0A]), .integer(42)])

            #expect(try await client.eval(script, keys: [key], arguments: [RedisArgument([0x00, 0x0A])]) == expected)

            let sha1 = try await client.scriptLoad(script)
            #expect(sha1.count == 40)
            #expect(try await client.evalsha(sha1, keys: [key], arguments: [RedisArgument([0x00, 0x0A])]) == expected)

            let error = await #expect(throws: RedisClient.Error.self) {
                try await client.evalsha(String(repeating: "0", count: 40))
            }
            #expect(error?.code == .server)
            #expect(error?.message.hasPrefix("NOSCRIPT") == true)
        }
    }

    @Test func errorRepliesThrowAndLeaveTheClientUsable() async throws {
        try await withTestClient({ $0.poolSize = 1 }) { client, prefix in
            try await client.set(prefix + "text", "not a number")
            let incr = await #expect(throws: RedisClient.Error.self) {
                try await client.send("INCR", prefix + "text")
            }
            #expect(incr?.code == .server)
            #expect(incr?.message.hasPrefix("ERR") == true)

            _ = try await client.send("RPUSH", prefix + "list", "a")
            let wrongType = await #expect(throws: RedisClient.Error.self) {
                try await client.get(prefix + "list")
            }
            #expect(wrongType?.message.hasPrefix("WRONGTYPE") == true)

            let empty = await #expect(throws: RedisClient.Error.self) {
                try await client.send([])
            }
            #expect(empty?.code == .invalidArgument)

            // Same single connection, still in sync.
            #expect(try await client.get(prefix + "text") == Array("not a number".utf8))
        }
    }
}
