import Foundation
import Gateway
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport
import WorkerRuntime

/// Bad input, auth, limits and broker outages: every one answered with the documented
/// status and error code, never a 500, never a 202 for a job the broker did not take.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct GatewayEdgeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method = "POST"
        var path: String
        var body: Data?
        var contentType: String? = "application/json"
        var authenticated = true
        var status: Int
        var code: String

        var testDescription: String { name }

        static func json(_ text: String) -> Data { Data(text.utf8) }
    }

    static let embed = #""model":"all-MiniLM-L6-v2""#
    static let cases: [Case] = [
        // Auth
        Case(name: "no key", path: "/v1/embeddings", body: Case.json(#"{"input":"x",\#(embed)}"#), authenticated: false, status: 401, code: "invalid_api_key"),
        // Envelope problems, every endpoint alike
        Case(name: "wrong content type", path: "/v1/embeddings", body: Case.json(#"{"input":"x",\#(embed)}"#), contentType: "text/plain", status: 415, code: "unsupported_media_type"),
        Case(name: "no content type", path: "/v1/memorize", body: Case.json("{}"), contentType: nil, status: 415, code: "unsupported_media_type"),
        Case(name: "invalid UTF-8", path: "/v1/embeddings", body: Data([0x7B, 0x22, 0x69, 0x6E, 0x70, 0x75, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]), status: 400, code: "invalid_json"),
        Case(name: "not JSON", path: "/v1/retrieve", body: Case.json("user_id=1"), status: 400, code: "invalid_json"),
        Case(name: "JSON array body", path: "/v1/memorize", body: Case.json("[]"), status: 400, code: "invalid_json"),
        Case(name: "body too large", path: "/v1/embeddings", body: Data(#"{"input":"\#(String(repeating: "a", count: 2 << 20))",\#(embed)}"#.utf8), status: 413, code: "body_too_large"),
        Case(name: "unknown route", method: "GET", path: "/v1/nothing", status: 404, code: "unknown_route"),
        // Embeddings
        Case(name: "embeddings: unknown field", path: "/v1/embeddings", body: Case.json(#"{"input":"x",\#(embed),"temperature":1}"#), status: 400, code: "unknown_parameter"),
        Case(name: "embeddings: missing model", path: "/v1/embeddings", body: Case.json(#"{"input":"x"}"#), status: 400, code: "missing_parameter"),
        Case(name: "embeddings: missing input", path: "/v1/embeddings", body: Case.json(#"{\#(embed)}"#), status: 400, code: "missing_parameter"),
        Case(name: "embeddings: number input", path: "/v1/embeddings", body: Case.json(#"{"input":5,\#(embed)}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: token arrays", path: "/v1/embeddings", body: Case.json(#"{"input":[[1,2,3]],\#(embed)}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: empty list", path: "/v1/embeddings", body: Case.json(#"{"input":[],\#(embed)}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: empty string", path: "/v1/embeddings", body: Case.json(#"{"input":["ok",""],\#(embed)}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: too many inputs", path: "/v1/embeddings", body: Case.json(#"{"input":[\#(Array(repeating: "\"a\"", count: 2049).joined(separator: ","))],\#(embed)}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: unknown model", path: "/v1/embeddings", body: Case.json(#"{"input":"x","model":"gpt-4"}"#), status: 404, code: "model_not_found"),
        Case(name: "embeddings: dimensions", path: "/v1/embeddings", body: Case.json(#"{"input":"x",\#(embed),"dimensions":128}"#), status: 400, code: "unsupported_dimensions"),
        Case(name: "embeddings: encoding format", path: "/v1/embeddings", body: Case.json(#"{"input":"x",\#(embed),"encoding_format":"hex"}"#), status: 400, code: "invalid_value"),
        Case(name: "embeddings: model null", path: "/v1/embeddings", body: Case.json(#"{"input":"x","model":null}"#), status: 400, code: "invalid_type"),
        // Memorize
        Case(name: "memorize: missing user", path: "/v1/memorize", body: Case.json(#"{"messages":[{"role":"user","content":"hi there"}]}"#), status: 400, code: "missing_parameter"),
        Case(name: "memorize: no messages", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","messages":[]}"#), status: 400, code: "invalid_value"),
        Case(name: "memorize: unknown role", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","messages":[{"role":"robot","content":"hi"}]}"#), status: 400, code: "invalid_value"),
        Case(name: "memorize: blank content", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","messages":[{"role":"user","content":"  "}]}"#), status: 400, code: "invalid_value"),
        Case(name: "memorize: unknown nested field", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","messages":[{"role":"user","content":"hi","mood":"x"}]}"#), status: 400, code: "unknown_parameter"),
        Case(name: "memorize: user id wrong type", path: "/v1/memorize", body: Case.json(#"{"user_id":7,"messages":[{"role":"user","content":"hi"}]}"#), status: 400, code: "invalid_type"),
        Case(name: "memorize: empty user id", path: "/v1/memorize", body: Case.json(#"{"user_id":"","messages":[{"role":"user","content":"hi"}]}"#), status: 400, code: "invalid_value"),
        Case(name: "memorize: bad timestamp", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","occurred_at":"yesterday","messages":[{"role":"user","content":"hi"}]}"#), status: 400, code: "invalid_value"),
        // Retrieve
        Case(name: "retrieve: top_k zero", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","top_k":0}"#), status: 400, code: "invalid_value"),
        Case(name: "retrieve: top_k string", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","top_k":"5"}"#), status: 400, code: "invalid_type"),
        Case(name: "retrieve: empty query", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":""}"#), status: 400, code: "invalid_value"),
        Case(name: "retrieve: unknown type filter", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","filters":{"types":["gossip"]}}"#), status: 400, code: "invalid_value"),
        Case(name: "retrieve: unknown filter", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","filters":{"mood":"happy"}}"#), status: 400, code: "unknown_parameter"),
        Case(name: "retrieve: inverted time range", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","filters":{"since":"2026-02-01T00:00:00Z","until":"2026-01-01T00:00:00Z"}}"#), status: 400, code: "invalid_value"),
        // Jobs and memories
        Case(name: "jobs: unknown id", method: "GET", path: "/v1/jobs/does-not-exist", status: 404, code: "job_not_found"),
        Case(name: "memories: missing user", method: "GET", path: "/v1/memories", status: 400, code: "missing_parameter"),
        Case(name: "memories: limit zero", method: "GET", path: "/v1/memories?user_id=u&limit=0", status: 400, code: "invalid_value"),
        Case(name: "memories: bad cursor", method: "GET", path: "/v1/memories?user_id=u&cursor=%21%21", status: 400, code: "invalid_value"),
        Case(name: "memories: forged cursor, time out of range", method: "GET", path: "/v1/memories?user_id=u&cursor=OTIyMzM3MjAzNjg1NDc3NTgwN3x4", status: 400, code: "invalid_value"),
        Case(name: "memories: forged cursor, NUL in id", method: "GET", path: "/v1/memories?user_id=u&cursor=NXxhAGI", status: 400, code: "invalid_value"),
        Case(name: "documents: forged cursor", method: "GET", path: "/v1/documents?cursor=LTkyMjMzNzIwMzY4NTQ3NzU4MDh8ZA", status: 400, code: "invalid_value"),
        // NUL characters, which PostgreSQL text cannot hold
        Case(name: "retrieve: NUL in a category filter", path: "/v1/retrieve", body: Case.json(#"{"user_id":"u","query":"q","filters":{"categories":["a\u0000b"]}}"#), status: 400, code: "nul_character"),
        Case(name: "memorize: NUL in content", path: "/v1/memorize", body: Case.json(#"{"user_id":"u","messages":[{"role":"user","content":"hi\u0000"}]}"#), status: 400, code: "nul_character"),
        Case(name: "memories: NUL in a PATCHed text", method: "PATCH", path: "/v1/memories/nope", body: Case.json(#"{"text":"I like\u0000 tea"}"#), status: 400, code: "nul_character"),
        Case(name: "memories: NUL in a metadata key", path: "/v1/memories", body: Case.json(#"{"user_id":"u","text":"I like tea","metadata":{"k\u0000":"v"}}"#), status: 400, code: "nul_character"),
        Case(name: "memories: NUL in a query parameter", method: "GET", path: "/v1/memories?user_id=u%00", status: 400, code: "nul_character"),
        Case(name: "memories: NUL in a path", method: "GET", path: "/v1/memories/a%00b", status: 400, code: "nul_character"),
        Case(name: "memories: bad since", method: "GET", path: "/v1/memories?user_id=u&since=today", status: 400, code: "invalid_value"),
        Case(name: "memories: unknown id", method: "GET", path: "/v1/memories/nope", status: 404, code: "memory_not_found"),
        Case(name: "memories: patch unknown field", method: "PATCH", path: "/v1/memories/nope", body: Case.json(#"{"txt":"x"}"#), status: 400, code: "unknown_parameter"),
        Case(name: "memories: patch bad type", method: "PATCH", path: "/v1/memories/nope", body: Case.json(#"{"type":"gossip"}"#), status: 400, code: "invalid_value"),
        Case(name: "memories: delete unknown", method: "DELETE", path: "/v1/memories/nope", status: 404, code: "memory_not_found"),
        // Category names become summary jobs' identifiers: an empty one dead-lettered the job.
        Case(name: "memories: empty category", path: "/v1/memories", body: Case.json(#"{"user_id":"u","text":"I like tea","categories":[""]}"#), status: 400, code: "invalid_value"),
        Case(name: "memories: long category", path: "/v1/memories", body: Case.json(#"{"user_id":"u","text":"I like tea","categories":["\#(String(repeating: "c", count: 65))"]}"#), status: 400, code: "invalid_value"),
        Case(name: "memories: patch empty category", method: "PATCH", path: "/v1/memories/nope", body: Case.json(#"{"categories":["food",""]}"#), status: 400, code: "invalid_value"),
    ]

    @Test(arguments: cases)
    func badInputIsAnsweredWithTheDocumentedError(_ testCase: Case) async throws {
        let fixture = try await GatewayAPITests.system()
        let key = testCase.authenticated ? try await fixture.key(tenant: "edge-tenant") : nil
        let reply = try await fixture.request(
            testCase.method, testCase.path, key: key, body: testCase.body, contentType: testCase.contentType)
        #expect(reply.status == testCase.status, "\(String(decoding: reply.body.prefix(300), as: UTF8.self))")
        #expect(reply.errorCode == testCase.code)
        let error = reply.json["error"] as? [String: Any]
        #expect(error?["request_id"] as? String == reply.headers.first(name: "x-request-id"))
        #expect((error?["message"] as? String)?.isEmpty == false)
    }

    /// Clients that write a space as `+` (Python's urlencode, the official SDKs) name the
    /// same user and metadata as the body did; an empty `Idempotency-Key` is no key.
    @Test func queryStringsReadPlusAsSpaceAndIdempotencyKeysMustHaveAValue() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "edge-query")
        let created = try await fixture.request(
            "POST", "/v1/memories", key: key, json: ["user_id": "ann lee", "text": "Ann likes green tea", "metadata": ["team": "a b"]])
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let listed = try await fixture.request("GET", "/v1/memories?user_id=ann+lee&metadata=%7B%22team%22%3A%22a+b%22%7D", key: key)
        #expect(listed.status == 200, "\(String(decoding: listed.body, as: UTF8.self))")
        #expect(listed.data.map { $0["text"] as? String } == ["Ann likes green tea"])
        let literalPlus = try await fixture.request("GET", "/v1/memories?user_id=ann%2Blee", key: key)
        #expect(literalPlus.status == 200 && literalPlus.data.isEmpty, "%2B is a plus sign, another user")

        for value in ["", String(repeating: "k", count: 256)] {
            let refused = try await fixture.request(
                "POST", "/v1/memories", key: key, json: ["user_id": "ann lee", "text": "Ann likes black tea"], headers: ["Idempotency-Key": value])
            #expect(refused.status == 400, "\(value.count) bytes")
            #expect((refused.json["error"] as? [String: Any])?["param"] as? String == "Idempotency-Key")
            let job = try await fixture.request(
                "POST", "/v1/memorize", key: key, json: ["user_id": "ann lee", "messages": [["role": "user", "content": "hi"]]],
                headers: ["Idempotency-Key": value])
            #expect(job.status == 400, "\(value.count) bytes")
        }
    }

    /// The load balancer forwards the public port: readiness and metrics (queue depths,
    /// every tenant's traffic) live on the operations port only.
    @Test func metricsAndReadinessAreOnTheOperationsPortOnly() async throws {
        let fixture = try await GatewayAPITests.system()
        for path in ["/metrics", "/readyz"] {
            #expect(try await fixture.request("GET", path).status == 404, "\(path) on the public port")
            #expect(try await fixture.request("GET", path, operations: true).status == 200, "\(path) on the operations port")
        }
        #expect(try await fixture.request("GET", "/healthz").status == 200, "liveness stays for load balancers")
        let metrics = String(decoding: try await fixture.request("GET", "/metrics", operations: true).body, as: UTF8.self)
        #expect(metrics.contains("memgrid_http_requests_total"), "\(metrics.prefix(300))")
    }

    @Test func theOperationsPortMustDifferFromThePublicOne() throws {
        #expect(throws: EnvironmentReader.Error.self) {
            try GatewayApp.Configuration(environment: EnvironmentReader(["MEMGRID_GATEWAY_PORT": "8080", "MEMGRID_OPS_PORT": "8080"]))
        }
    }

    @Test func aRevokedOrUnknownKeyIsRefused() async throws {
        let fixture = try await GatewayAPITests.system()
        let unknown = try await fixture.request("GET", "/v1/models", key: "mg_" + String(repeating: "a", count: 52))
        #expect(unknown.status == 401 && unknown.errorCode == "invalid_api_key")
        let misshapen = try await fixture.request("GET", "/v1/models", key: "mg_short")
        #expect(misshapen.status == 401 && misshapen.errorCode == "invalid_api_key")
        let malformed = try await fixture.request("GET", "/v1/models", headers: ["Authorization": "Basic abc"])
        #expect(malformed.status == 401)
    }

    @Test func aBrokerOutageRefusesJobsAndLosesNone() async throws {
        let down = try ClosedPort()
        defer { down.close() }
        let deadBroker = "amqp://guest:guest@127.0.0.1:\(down.port)/"
        let fixture = try await GatewayFixture(
            workers: false, overrides: ["MEMGRID_AMQP_URL": deadBroker, "MEMGRID_PUBLISH_TIMEOUT_MS": "300"])
        try await fixture.waitUntilListening()
        let key = try await fixture.key(tenant: "outage-tenant")
        try await fixture.database.withClient(url: fixture.database.url) { client in
            _ = try await client.query(
                "INSERT INTO embedding_spaces (id, model, revision, dimensions, active) VALUES ('m@r/384', 'm', 'r', 384, true)",
                logger: fixture.logger)
        }
        #expect(try await fixture.request("GET", "/readyz", operations: true).status == 503)
        let memorize = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": "u", "messages": [["role": "user", "content": "I like tea"]]])
        #expect(memorize.status == 503)
        #expect(memorize.errorCode == "broker_unavailable")
        #expect(memorize.headers.first(name: "Retry-After") != nil)
        let jobs = try await fixture.database.withClient(url: fixture.database.url) { client in
            var count = -1
            for try await value in try await client.query("SELECT count(*) FROM jobs", logger: fixture.logger).decode(Int.self) {
                count = value
            }
            return count
        }
        #expect(jobs == 0, "a refused job must leave no queued row")
        let embeddings = try await fixture.request(
            "POST", "/v1/embeddings", key: key, json: ["input": "never cached \(UUID())", "model": "m"])
        #expect(embeddings.status == 503)
        #expect(embeddings.errorCode == "broker_unavailable")
        await fixture.stop()
    }

    /// Without Redis the limit cannot be counted: each deployment chooses to let requests
    /// through (open, the default) or to refuse them (closed).
    @Test(arguments: [("open", 404), ("closed", 503)])
    func theRateLimitFailsAsConfiguredWhenRedisIsDown(policy: String, status: Int) async throws {
        let down = try ClosedPort()
        defer { down.close() }
        let fixture = try await GatewayFixture(workers: false, overrides: [
            "MEMGRID_REDIS_URL": "redis://127.0.0.1:\(down.port)", "MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
            "MEMGRID_GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE": policy,
        ])
        try await fixture.waitUntilListening()
        let key = try await fixture.key(tenant: "limiter-\(policy)")
        let reply = try await fixture.request("GET", "/v1/jobs/x", key: key)
        #expect(reply.status == status, "\(String(decoding: reply.body, as: UTF8.self))")
        if policy == "closed" { #expect(reply.errorCode == "rate_limiter_unavailable") }
        await fixture.stop()
    }

    @Test func theRateLimitAnswers429WithRetryAfter() async throws {
        let fixture = try await GatewayFixture(workers: false, overrides: ["MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE": "3"])
        try await fixture.waitUntilListening()
        let key = try await fixture.key(tenant: "limited-tenant")
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await fixture.request("GET", "/v1/jobs/x", key: key).status) }
        // Unless the minute turned over between requests, the 4th and 5th are refused.
        #expect(statuses.filter { $0 == 429 }.count >= 1)
        #expect(statuses.prefix(3).allSatisfy { $0 == 404 })
        let limited = try await fixture.request("GET", "/v1/jobs/x", key: key)
        if limited.status == 429 {
            #expect(limited.errorCode == "rate_limit_exceeded")
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
        }
        let otherKey = try await fixture.key(tenant: "unlimited-tenant")
        #expect(try await fixture.request("GET", "/v1/jobs/x", key: otherKey).status == 404)
        await fixture.stop()
    }
}
