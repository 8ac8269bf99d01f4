import Cache
import Logging
import Synchronization
import Testing
import TestSupport

@Suite("Redis configuration and logging")
struct RedisConfigurationTests {
    @Test func parsesAFullURL() throws {
        let configuration = try RedisClient.Configuration(url: "redis://app:p%40ss%3Aword@cache.internal:6380/5")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "p@ss:word")
        #expect(configuration.database == 5)
        #expect(configuration.poolSize == 4)
    }

    @Test func fillsDefaultsFromAMinimalURL() throws {
        let configuration = try RedisClient.Configuration(url: "redis://localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)

        let passwordOnly = try RedisClient.Configuration(url: "redis://:secret@[::1]:7000")
        #expect(passwordOnly.host == "::1")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "secret")
    }

    @Test func redissTurnsTLSOn() throws {
        #expect(try RedisClient.Configuration(url: "redis://host").tls == nil)
        let secure = try RedisClient.Configuration(url: "rediss://:pw@cache.example:6380/2")
        #expect(secure.tls == .init(caFile: nil, verifyPeer: true))
        #expect(secure.host == "cache.example" && secure.port == 6380 && secure.database == 2)
        #expect("\(secure)".hasPrefix("rediss://:***@cache.example:6380/2"))
    }

    @Test(arguments: ["http://host:6379", "https://:pw@host", "redis://", "redis://host/notanumber", "redis://host:0", "not a url"])
    func rejectsBadURLsWithoutEchoingThem(_ url: String) {
        let error = #expect(throws: RedisClient.Error.self) { try RedisClient.Configuration(url: url) }
        #expect(error?.code == .invalidArgument)
        #expect(error.map { !"\($0)".contains(":pw@") } == true)
    }

    @Test func descriptionsHideThePassword() throws {
        let configuration = try RedisClient.Configuration(url: "redis://:hunter2-test@127.0.0.1:6379/1")
        #expect(!"\(configuration)".contains("hunter2-test"))
        #expect(!String(reflecting: configuration).contains("hunter2-test"))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("hunter2-test"))
        #expect("\(configuration)".contains("127.0.0.1:6379/1"))
    }

    @Test func logsUseNamespacedKeysLowLevelsAndNoValues() async throws {
        let records = RecordedLogs()
        var logger = Logger(label: "test.redis", factory: { _ in RecordingLogHandler(records: records) })
        logger.logLevel = .trace
        let secret = "value-\(TestRedis.makePrefix())"

        var configuration = try TestRedis.configuration()
        configuration.poolSize = 1
        // Under the BLPOP's 1 s, but with room for a busy machine's SET and GET.
        configuration.commandTimeout = .milliseconds(500)
        let client = RedisClient(configuration: configuration, logger: logger)
        let prefix = TestRedis.makePrefix()
        try await client.set(prefix + "k", secret, ttl: .seconds(5))
        #expect(try await client.get(prefix + "k") == Array(secret.utf8))
        _ = try? await client.send("BLPOP", prefix + "empty", "1")  // timeout: the connection is dropped
        try await client.del([prefix + "k"])
        await client.shutdown()

        let logged = records.all
        #expect(!logged.isEmpty, "connecting and dropping a connection are logged")
        for record in logged {
            #expect(record.level <= .info)
            #expect(record.metadataKeys.allSatisfy { $0.hasPrefix("redis.") }, "\(record.metadataKeys)")
            #expect(!record.text.contains(secret))
        }
    }
}
