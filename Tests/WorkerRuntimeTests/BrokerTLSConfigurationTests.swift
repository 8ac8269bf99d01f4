import Cache
import Foundation
import Messaging
import Testing
import WorkerRuntime

@Suite("Broker TLS settings")
struct BrokerTLSConfigurationTests {
    @Test("amqps:// turns TLS on (port 5671 by default); TLS settings without it are refused")
    func amqpsURLAndSettings() throws {
        let plain = try BrokerConfiguration(url: "amqp://u:p@broker/")
        #expect(plain.tls == nil && plain.nodes == [.init(host: "broker", port: 5672)])
        let secure = try BrokerConfiguration(url: "amqps://u:p@broker/")
        #expect(secure.tls == .init() && secure.nodes == [.init(host: "broker", port: 5671)])
        #expect(secure.redactedDescription == "amqps://u@broker:5671/")

        func process(_ environment: [String: String]) throws -> BrokerConfiguration {
            try ProcessConfiguration(environment: EnvironmentReader(environment), defaultOperationsPort: 0).broker
        }
        let tls = try process([
            "MEMGRID_AMQP_URL": "amqps://u:p@broker/", "MEMGRID_AMQP_CA_FILE": "/ca.pem",
            "MEMGRID_AMQP_CERT_FILE": "/client.pem", "MEMGRID_AMQP_KEY_FILE": "/client.key",
        ]).tls
        #expect(tls == .init(caFile: "/ca.pem", clientCertificate: .init(certificateFile: "/client.pem", keyFile: "/client.key")))
        #expect(try process(["MEMGRID_AMQP_URL": "amqps://u:p@broker/", "MEMGRID_AMQP_TLS_VERIFY": "false"]).tls?.verifyPeer == false)
        #expect(throws: EnvironmentReader.Error.self) {
            try process(["MEMGRID_AMQP_URL": "amqp://u:p@broker/", "MEMGRID_AMQP_CA_FILE": "/ca.pem"])
        }
        #expect(throws: EnvironmentReader.Error.self) {
            try process(["MEMGRID_AMQP_URL": "amqps://u:p@broker/", "MEMGRID_AMQP_KEY_FILE": "/client.key"])
        }
        #expect(throws: EnvironmentReader.Error.self) {
            try process(["MEMGRID_AMQP_URL": "amqps://u:p@broker/", "MEMGRID_AMQP_TLS_VERIFY": "maybe"])
        }
    }

    @Test("rediss:// turns Redis TLS on; its settings without it, or an unreadable CA file, are refused")
    func redissSettings() throws {
        func redis(_ environment: [String: String]) throws -> RedisClient.Configuration {
            try ProcessConfiguration(environment: EnvironmentReader(environment), defaultOperationsPort: 0).redis
        }
        #expect(try redis(["MEMGRID_REDIS_URL": "redis://cache:6379"]).tls == nil)
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-redis-ca-\(UUID().uuidString).pem")
        try Data("test".utf8).write(to: caFile)
        defer { try? FileManager.default.removeItem(at: caFile) }
        #expect(try redis(["MEMGRID_REDIS_URL": "rediss://cache:6380", "MEMGRID_REDIS_CA_FILE": caFile.path]).tls == .init(caFile: caFile.path))
        #expect(try redis(["MEMGRID_REDIS_URL": "rediss://cache:6380", "MEMGRID_REDIS_TLS_VERIFY": "false"]).tls?.verifyPeer == false)
        #expect(throws: EnvironmentReader.Error.self) {
            try redis(["MEMGRID_REDIS_URL": "redis://cache:6379", "MEMGRID_REDIS_CA_FILE": caFile.path])
        }
        #expect(throws: EnvironmentReader.Error.self) {
            try redis(["MEMGRID_REDIS_URL": "rediss://cache:6380", "MEMGRID_REDIS_CA_FILE": "/nonexistent/ca.pem"])
        }
    }

    @Test("MEMGRID_REDIS_POOL_SIZE sizes the Redis pool (16 unless set) and is range-checked")
    func redisPoolSize() throws {
        func poolSize(_ environment: [String: String]) throws -> Int {
            try ProcessConfiguration(environment: EnvironmentReader(environment), defaultOperationsPort: 0).redis.poolSize
        }
        #expect(try poolSize([:]) == 16)
        #expect(try poolSize(["MEMGRID_REDIS_POOL_SIZE": "3"]) == 3)
        for bad in ["0", "257", "many"] {
            #expect(throws: EnvironmentReader.Error.self) { try poolSize(["MEMGRID_REDIS_POOL_SIZE": bad]) }
        }
    }
}
