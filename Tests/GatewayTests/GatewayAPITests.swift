import Contracts
import Embeddings
import Gateway
import Foundation
import PostgresNIO
import Storage
import Testing
import TestSupport

/// The HTTP API end to end: gateway, embedding worker and LLM worker in-process on the
/// local stack's RabbitMQ, Redis and PostgreSQL.
@Suite(.serialized, .holding(GatewayFixture.shared))
struct GatewayAPITests {
    static func system() async throws -> GatewayFixture {
        try await GatewayFixture.shared.fixture
    }

    /// Polls a job until it leaves queued/running.
    static func finished(_ id: String, key: String, on fixture: GatewayFixture) async throws -> [String: Any] {
        var job: [String: Any] = [:]
        _ = try await TestBroker.eventually(timeout: .seconds(60)) {
            job = try await fixture.request("GET", "/v1/jobs/\(id)", key: key).json
            let children = job["children"] as? [[String: Any]] ?? []
            return job["status"] as? String == "succeeded" && children.allSatisfy { $0["status"] as? String == "succeeded" }
        }
        return job
    }

    static func memorize(_ text: String, user: String, key: String, on fixture: GatewayFixture) async throws -> [String: Any] {
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": user, "messages": [["role": "user", "content": text]]])
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        return try await finished(reply.json["id"] as! String, key: key, on: fixture)
    }

    /// A hit's cosine similarity to the query (retrieve with `explain`).
    static func similarity(_ hit: [String: Any]?) -> Double {
        ((hit?["explain"] as? [String: Any])?["vector"] as? [String: Any])?["score"] as? Double ?? 0
    }

    @Test func memorizeCompletesAndRetrieveFindsTheMemories() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "retrieve-tenant")
        let job = try await Self.memorize(
            "My name is Ana. I love green tea. I have a dentist appointment tomorrow at 3pm.", user: "ana", key: key, on: fixture)
        #expect(job["status"] as? String == "succeeded")
        let result = job["result"] as? [String: Any]
        #expect((result?["created"] as? [String])?.count == 3)
        #expect((job["children"] as? [[String: Any]])?.first?["type"] as? String == "embed.v1")

        let found = try await fixture.request(
            "POST", "/v1/retrieve", key: key,
            json: ["user_id": "ana", "query": "Loves green tea", "top_k": 2, "include": ["memories"], "explain": true])
        #expect(found.status == 200)
        #expect(found.data.count == 2)
        #expect(found.data.first?["text"] as? String == "Loves green tea")
        #expect(Self.similarity(found.data.first) > 0.999)

        let events = try await fixture.request(
            "POST", "/v1/retrieve", key: key,
            json: ["user_id": "ana", "query": "tea", "top_k": 5, "filters": ["types": ["event"]]])
        #expect(events.data.map { $0["type"] as? String } == ["event"])
    }

    @Test func embeddingsEqualTheModelsVectors() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "embeddings-tenant")
        let texts = ["The quick brown fox \(UUID())", "jumps over the lazy dog \(UUID())"]
        let expected = try await TestModel.embedder.embed(texts)
        // First call computes through the worker (cache misses), the second hits the cache.
        for _ in 0..<2 {
            let reply = try await fixture.request(
                "POST", "/v1/embeddings", key: key, json: ["input": texts, "model": "all-MiniLM-L6-v2"])
            #expect(reply.status == 200)
            let vectors = reply.data.map { ($0["embedding"] as? [Double] ?? []).map(Float.init) }
            #expect(vectors.count == 2)
            for (vector, reference) in zip(vectors, expected) {
                #expect(vector.count == 384)
                #expect(zip(vector, reference).map { $0 * $1 }.reduce(0, +) > 0.99999)
            }
            #expect(((reply.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int ?? 0) > 10)
        }
        let base64 = try await fixture.request(
            "POST", "/v1/embeddings", key: key, json: ["input": texts[0], "model": "all-MiniLM-L6-v2", "encoding_format": "base64"])
        let data = Data(base64Encoded: base64.data.first?["embedding"] as? String ?? "") ?? Data()
        #expect(data.count == 384 * 4)
    }

    @Test func tenantsNeverSeeEachOthersData() async throws {
        let fixture = try await Self.system()
        let keyA = try await fixture.key(tenant: "isolation-a")
        let keyB = try await fixture.key(tenant: "isolation-b")
        let job = try await Self.memorize("I work at Contoso as a nurse.", user: "shared-user", key: keyA, on: fixture)
        let jobID = job["id"] as! String
        let memoryID = ((job["result"] as? [String: Any])?["created"] as? [String])?.first ?? ""
        #expect(!memoryID.isEmpty)

        #expect(try await fixture.request("GET", "/v1/jobs/\(jobID)", key: keyB).status == 404)
        #expect(try await fixture.request("GET", "/v1/memories/\(memoryID)", key: keyB).status == 404)
        #expect(try await fixture.request("PATCH", "/v1/memories/\(memoryID)", key: keyB, json: ["text": "hacked"]).status == 404)
        #expect(try await fixture.request("DELETE", "/v1/memories/\(memoryID)", key: keyB).status == 404)
        #expect(try await fixture.request("GET", "/v1/memories?user_id=shared-user", key: keyB).data.isEmpty)
        let retrieved = try await fixture.request(
            "POST", "/v1/retrieve", key: keyB, json: ["user_id": "shared-user", "query": "nurse at Contoso"])
        #expect(retrieved.status == 200 && retrieved.data.isEmpty)
        #expect(try await fixture.request("DELETE", "/v1/memories?user_id=shared-user", key: keyB).json["deleted"] as? Int == 0)

        // Tenant A still has everything.
        #expect(try await fixture.request("GET", "/v1/memories/\(memoryID)", key: keyA).status == 200)
        #expect(try await fixture.request("GET", "/v1/memories?user_id=shared-user", key: keyA).data.count == 1)
    }

    @Test func aRepeatedFactReinforcesInsteadOfDuplicating() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "reinforce-tenant")
        _ = try await Self.memorize("I like hiking.", user: "bo", key: key, on: fixture)
        let second = try await Self.memorize("i like   hiking", user: "bo", key: key, on: fixture)
        #expect((second["result"] as? [String: Any])?["reinforced"] as? [String] != [])
        let list = try await fixture.request("GET", "/v1/memories?user_id=bo", key: key)
        #expect(list.data.count == 1)
        #expect(list.data.first?["reinforcement_count"] as? Int == 2)
    }

    @Test func anIdempotencyKeyReturnsTheFirstJob() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "idempotency-tenant")
        let body: [String: Any] = ["user_id": "cy", "messages": [["role": "user", "content": "I speak French."]]]
        let first = try await fixture.request("POST", "/v1/memorize", key: key, json: body, headers: ["Idempotency-Key": "abc"])
        let second = try await fixture.request("POST", "/v1/memorize", key: key, json: body, headers: ["Idempotency-Key": "abc"])
        #expect(first.status == 202 && second.status == 202)
        #expect(first.json["id"] as? String == second.json["id"] as? String)
        let other = try await fixture.request("POST", "/v1/memorize", key: key, json: body, headers: ["Idempotency-Key": "abd"])
        #expect(other.json["id"] as? String != first.json["id"] as? String)
    }

    @Test func editingAMemoryReEmbedsIt() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "edit-tenant")
        let job = try await Self.memorize("I live in Lisbon.", user: "di", key: key, on: fixture)
        let id = ((job["result"] as? [String: Any])?["created"] as? [String])?.first ?? ""
        let edited = try await fixture.request(
            "PATCH", "/v1/memories/\(id)", key: key, json: ["text": "Lives in Porto", "categories": ["location"]])
        #expect(edited.status == 200)
        let embedJob = edited.json["embedding_job_id"] as? String ?? ""
        _ = try await Self.finished(embedJob, key: key, on: fixture)
        let found = try await fixture.request(
            "POST", "/v1/retrieve", key: key, json: ["user_id": "di", "query": "Lives in Porto", "include": ["memories"], "explain": true])
        #expect(found.data.first?["text"] as? String == "Lives in Porto")
        #expect(Self.similarity(found.data.first) > 0.999)

        #expect(try await fixture.request("DELETE", "/v1/memories/\(id)", key: key).status == 200)
        #expect(try await fixture.request("GET", "/v1/memories/\(id)", key: key).status == 404)
        #expect(try await fixture.request(
            "POST", "/v1/retrieve", key: key, json: ["user_id": "di", "query": "Porto", "include": ["memories"]]).data.isEmpty)
    }

    @Test func listingPagesThroughEveryMemoryOnce() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "paging-tenant")
        let items = (0..<7).map {
            MemoryRepository.NewItem(
                type: "knowledge", text: "fact \($0)", contentHash: "hash-\($0)", categories: ["personal"], happenedAt: nil,
                validFrom: Date())
        }
        // Items of one transaction share created_at: pages must split such ties exactly.
        try await fixture.database.withClient(url: fixture.database.url) { client in
            for (index, batch) in [items[0..<3], items[3..<5], items[5..<7]].enumerated() {
                try await client.withTransaction(logger: fixture.logger) { connection in
                    _ = try await MemoryRepository(client: client).record(
                        Array(batch), tenantID: "paging-tenant", userID: "ed", agentID: nil, resourceID: nil, source: "seed-\(index)",
                        origin: .job("seed-\(index)"), on: connection, logger: fixture.logger)
                }
            }
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await fixture.request(
                "GET", "/v1/memories?user_id=ed&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            #expect(page.status == 200)
            seen += page.data.compactMap { $0["text"] as? String }
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(seen.sorted() == items.map(\.text).sorted())
        let purged = try await fixture.request("DELETE", "/v1/memories?user_id=ed", key: key)
        #expect(purged.json["deleted"] as? Int == 7)
    }

    /// Found by schemathesis: the duplicate's unique violation came wrapped by the
    /// transaction and went out as 500.
    @Test func patchingATextIntoAnotherMemorysIsAConflict() async throws {
        let fixture = try await Self.system()
        let key = try await fixture.key(tenant: "patch-conflict-tenant")
        let tea = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "pc", "text": "Likes tea"])
        let coffee = try await fixture.request("POST", "/v1/memories", key: key, json: ["user_id": "pc", "text": "Likes coffee"])
        #expect(tea.status == 201 && coffee.status == 201)
        let id = try #require(coffee.json["id"] as? String)
        let clash = try await fixture.request("PATCH", "/v1/memories/\(id)", key: key, json: ["text": "Likes tea"])
        #expect(clash.status == 409, "\(String(decoding: clash.body, as: UTF8.self))")
    }

    @Test func theOpenAPIDocumentDescribesEveryRoute() async throws {
        let fixture = try await Self.system()
        let reply = try await fixture.request("GET", "/openapi.yaml")
        #expect(reply.status == 200)
        // `/readyz` and `/metrics` are documented too, but served on the operations port.
        let documented = Set(OpenAPIPaths.operations(in: String(decoding: reply.body, as: UTF8.self)))
            .subtracting(["GET /readyz", "GET /metrics"])
        let routed = Set(fixture.gateway.routes)
        #expect(documented == routed, "only documented: \(documented.subtracting(routed)); only routed: \(routed.subtracting(documented))")
    }
}

/// Reads `METHOD /path` pairs from the `paths:` section of an OpenAPI YAML document
/// (two-space indentation, as the repository's file is written).
enum OpenAPIPaths {
    static func operations(in yaml: String) -> [String] {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var inPaths = false
        var path: String?
        var operations: [String] = []
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line.hasPrefix("paths:") }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), let colon = line.lastIndex(of: ":") {
                path = String(line[line.index(line.startIndex, offsetBy: 2)..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let name = line.dropFirst(4).prefix { $0 != ":" }
                if methods.contains(String(name)) { operations.append("\(name.uppercased()) \(path)") }
            }
        }
        return operations
    }
}
