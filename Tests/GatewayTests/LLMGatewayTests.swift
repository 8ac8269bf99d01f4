import Contracts
import FakeOpenAI
import Foundation
import Gateway
import Messaging
import NIOHTTP1
import PostgresNIO
import Prometheus
import Storage
import TestSupport
import Testing

/// Chat, LLM memorize, metering and budgets end to end: gateway and workers in-process
/// on the local stack, the LLM worker calling the fake OpenAI-compatible provider.
@Suite(.serialized, .holding(.llmGateway))
struct LLMGatewayTests {
    static let answer = "Hello from the fake provider"
    /// 100 prompt tokens (40 cached), 20 completion: (60·1 + 40·0.5 + 20·2) / 10⁶ USD.
    static let usage = FakeOpenAIServer.usage(prompt: 100, completion: 20, cached: 40, spelling: .deepSeek)
    static let callCost = 120e-6

    /// "TOOLCALL" makes the fake call a tool (`ToolCallSample`). "KEYLEAK" in any request makes the fake refuse memgrid's key as OpenAI does,
    /// quoting it masked; "SLOWSTREAM" makes it answer in 30 words, 200 ms apart. Extraction requests carry a response format; "GARBLE" in the conversation makes
    /// the fake answer with something that is not JSON, every time. The memory it reads
    /// cites message 0, or message 1 when "SECOND" is in the conversation, or a message
    /// that does not exist when "NOWHERE" is. "MOVED" makes it answer "Lives in Berlin",
    /// superseding the key the prompt showed for "Lives in Lyon" ("BADKEY": a key it was
    /// never shown).
    static let fake = FakeOpenAIServer { request in
        func said(_ marker: String) -> Bool { request.messages.contains { $0.text.contains(marker) } }
        // A tool round trip: "TOOLCALL" asks for the tool; the tool's answer gets a plain reply.
        if request.messages.last?.role == "tool" { return .reply(content: "It is sunny in Lyon.", usage: usage) }
        if said("TOOLCALL") { return .toolCall }
        if said("KEYLEAK") { return .status(401, retryAfter: nil, message: "Incorrect API key provided: sk-abc***********wxyz") }
        if said("SLOWSTREAM") {
            return .pacedReply(content: Array(repeating: "word", count: 30).joined(separator: " "), usage: usage, gap: .milliseconds(200))
        }
        guard request.responseFormat != nil else { return .reply(content: answer, usage: usage) }
        if said("GARBLE") { return .reply(content: "Sure! Here are the memories.", usage: usage) }
        if said("MOVED") || said("BADKEY") {
            let shown = request.messages.last?.text.split(separator: "\n").first { $0.hasSuffix("] Lives in Lyon") }
            let key = said("BADKEY") ? "K42" : shown.map { String($0.dropFirst().prefix { $0 != "]" }) } ?? "none shown"
            return .reply(
                content: #"{"memories": [{"type": "profile", "text": "Lives in Berlin", "categories": ["location"], "happened_at": null, "message_indices": [0], "action": "supersede", "target": "\#(key)"}]}"#,
                usage: usage)
        }
        let source = said("NOWHERE") ? 7 : said("SECOND") ? 1 : 0
        return .reply(
            content: #"{"memories": [{"type": "profile", "text": "Lives in Lyon", "categories": ["location"], "happened_at": null, "message_indices": [\#(source)]}]}"#,
            usage: usage)
    }

    static var system: SharedFixture { .llmGateway }

    static func chat(_ fixture: GatewayFixture, key: String, stream: Bool = false) async throws -> GatewayFixture.Reply {
        var body: [String: Any] = ["model": "fake-chat", "messages": [["role": "user", "content": "Say hello"]]]
        if stream { body["stream"] = true; body["stream_options"] = ["include_usage": true] }
        return try await fixture.request("POST", "/v1/chat/completions", key: key, json: body)
    }

    @Test func aChatCompletionAnswersAndIsMetered() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "chat-tenant")
        let reply = try await Self.chat(fixture, key: key)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        let completion = try JSONDecoder().decode(ChatCompletion.self, from: reply.body)
        #expect(completion.text == Self.answer)
        #expect(completion.usage?.cachedTokens == 40)

        var usage: [String: Any] = [:]
        let metered = await TestBroker.eventually(timeout: .seconds(10)) {
            usage = (try? await fixture.request("GET", "/v1/usage", key: key).json) ?? [:]
            return (usage["total"] as? [String: Any])?["calls"] as? Int == 1
        }
        #expect(metered)
        let total = usage["total"] as? [String: Any] ?? [:]
        #expect(total["cached_tokens"] as? Int == 40)
        #expect(abs((total["cost_usd"] as? Double ?? 0) - Self.callCost) < 1e-9)
        #expect((usage["data"] as? [[String: Any]])?.first?["provider"] as? String == "fake")
    }

    @Test func aStreamedChatArrivesAsServerSentEvents() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "stream-tenant")
        let reply = try await Self.chat(fixture, key: key, stream: true)
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "content-type") == "text/event-stream")
        let events = String(decoding: reply.body, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]")
        let chunks = try events.dropLast().map { event in
            try JSONDecoder().decode(ChatChunk.self, from: Data(event.dropFirst("data: ".count).utf8))
        }
        #expect(chunks.count > 2)
        #expect(chunks.flatMap(\.choices).compactMap(\.delta.content).joined() == Self.answer)
        #expect(chunks.last?.choices.isEmpty == true)
        #expect(chunks.last?.usage?.promptTokens == 100)
    }

    @Test func memorizeUsesTheLLMAndReinforcesARepeatedFact() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "llm-memorize-tenant")
        let first = try await GatewayAPITests.memorize("I live in Lyon.", user: "leo", key: key, on: fixture)
        let result = first["result"] as? [String: Any]
        #expect(first["status"] as? String == "succeeded")
        #expect(result?["extractor"] as? String == "llm:fake-chat:extract_memories.v4")
        #expect((result?["created"] as? [String])?.count == 1)
        let second = try await GatewayAPITests.memorize("Did I say I live in Lyon?", user: "leo", key: key, on: fixture)
        #expect(((second["result"] as? [String: Any])?["reinforced"] as? [String]) == (result?["created"] as? [String]))
        let memories = try await fixture.request("GET", "/v1/memories?user_id=leo", key: key)
        #expect(memories.data.map { $0["text"] as? String } == ["Lives in Lyon"])
    }

    /// The extraction call is shown the user's related current memories; the model's
    /// `supersede` of one closes it, and a key it was never shown is an invalid answer.
    @Test func theModelSupersedesOnlyMemoriesItWasShown() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "llm-supersede-tenant")
        let first = try await GatewayAPITests.memorize("I live in Lyon.", user: "max", key: key, on: fixture)
        let lyon = try #require(((first["result"] as? [String: Any])?["created"] as? [String])?.first)
        let moved = try await GatewayAPITests.memorize("MOVED: I live in Berlin now, not in Lyon.", user: "max", key: key, on: fixture)
        let result = moved["result"] as? [String: Any]
        #expect(result?["superseded"] as? [String] == [lyon])
        let berlin = try #require((result?["created"] as? [String])?.first)
        let prompt = Self.fake.requests.last { $0.messages.contains { $0.text.contains("MOVED: I live in Berlin") } }
        #expect(prompt?.messages.last?.text.contains("Known memories:\n[K1] Lives in Lyon") == true)

        let current = try await fixture.request("GET", "/v1/memories?user_id=max", key: key)
        #expect(current.data.map { $0["text"] as? String } == ["Lives in Berlin"])
        let all = try await fixture.request("GET", "/v1/memories?user_id=max&include_superseded=true", key: key)
        let old = try #require(all.data.first { $0["id"] as? String == lyon })
        #expect(old["superseded_by"] as? String == berlin)
        #expect(old["valid_until"] is String)
        let history = try await fixture.request("GET", "/v1/memories/\(lyon)/history", key: key)
        #expect(history.data.map { $0["action"] as? String } == ["created", "superseded"])
        #expect(history.data.last?["related_id"] as? String == berlin)

        try await Self.expectInvalidOutputDeadLetters("BADKEY: I live in Berlin", user: "max", key: key, on: fixture)
    }

    @Test func theExtractionPromptCarriesTheUsersTimeZone() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "llm-zone-tenant")
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key,
            json: ["user_id": "zoe", "time_zone": "Asia/Shanghai", "occurred_at": "2026-03-14T17:30:00Z",
                   "messages": [["role": "user", "content": "ZONE: dentist tomorrow at 9am"]]])
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        let job = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)
        #expect(job["status"] as? String == "succeeded")
        let prompt = Self.fake.requests.first { $0.messages.contains { $0.text.contains("ZONE: dentist") } }
        #expect(prompt?.messages.first?.text.contains("2026-03-15T01:30:00+08:00, a Sunday, in the user's time zone (Asia/Shanghai)") == true)
    }

    @Test func categorySummariesAreWrittenByTheLLM() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "llm-summary-tenant")
        let job = try await GatewayAPITests.memorize("I live in Lyon.", user: "lou", key: key, on: fixture)
        let created = (job["result"] as? [String: Any])?["created"] as? [String]
        var found: [String: [String: Any]] = [:]
        let summarized = try await TestBroker.eventually(timeout: .seconds(30)) {
            found = try await CategorySummaryTests.categories("lou", key: key, on: fixture)
            return found["location"]?["summary"] is String
        }
        #expect(summarized, "\(found)")
        #expect(found["location"]?["summary"] as? String == Self.answer)
        #expect(found["location"]?["summary_item_ids"] as? [String] == created)
        let itemID = try #require(created?.first)
        let prompts = Self.fake.requests.filter { $0.messages.last?.text.contains(itemID) == true }
        #expect(prompts.count == 1)
        #expect(prompts.first?.messages.first?.text.contains("Category: location") == true)
        #expect(prompts.first?.messages.last?.text.contains("Lives in Lyon") == true)
    }

    @Test func extractedItemsCiteTheMessagesTheModelNamed() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "llm-sources-tenant")
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key,
            json: ["user_id": "lu", "messages": [
                ["role": "assistant", "content": "Where do you live?", "id": "q1"],
                ["role": "user", "name": "Lu", "content": "I live in Lyon. SECOND", "id": "a1"],
            ]])
        #expect(reply.status == 202)
        _ = try await GatewayAPITests.finished(try #require(reply.json["id"] as? String), key: key, on: fixture)
        let memories = try await fixture.request("GET", "/v1/memories?user_id=lu", key: key)
        #expect(memories.data.map { $0["message_ids"] as? [String] } == [["a1"]])

        // An index outside the conversation is an invalid answer: asked again, then dead-lettered.
        try await Self.expectInvalidOutputDeadLetters("NOWHERE to be found", user: "lu", key: key, on: fixture)
    }

    /// Memorizes `content` and expects the job dead-lettered for invalid LLM output.
    static func expectInvalidOutputDeadLetters(_ content: String, user: String, key: String, on fixture: GatewayFixture) async throws {
        let reply = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": user, "messages": [["role": "user", "content": content]]])
        #expect(reply.status == 202)
        let id = try #require(reply.json["id"] as? String)
        var job: [String: Any] = [:]
        let ended = await TestBroker.eventually(timeout: .seconds(30)) {
            job = (try? await fixture.request("GET", "/v1/jobs/\(id)", key: key).json) ?? [:]
            return job["status"] as? String == "dead_lettered"
        }
        #expect(ended, "\(job)")
        #expect((job["error"] as? String)?.contains("invalid_llm_output") == true)
    }

    @Test func anAnswerThatStaysInvalidDeadLettersTheJob() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "garble-tenant")
        func garbled() -> Int { Self.fake.requests.filter { $0.messages.contains { $0.text.contains("GARBLE") } }.count }
        let before = garbled()
        try await Self.expectInvalidOutputDeadLetters("GARBLE me", user: "gus", key: key, on: fixture)
        // The first answer and two repair rounds.
        #expect(garbled() - before == 3)
    }

    @Test func aSpentBudgetAlertsOnceThenRefusesNewWork() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "budget-tenant"
        let key = try await fixture.key(tenant: tenant)
        let topology = Topology(prefix: fixture.prefix)
        let alerts = "\(fixture.prefix).test.budget-alerts"
        try await TestBroker.admin.declareQueue(alerts)
        try await TestBroker.admin.bind(alerts, to: topology.eventsExchange, routingKey: EventCatalog.budgetAlert.name)
        try await fixture.database.withClient(url: fixture.database.url) { client in
            // One call costs 120 µUSD: the first crosses both the alert ratio and the limit. Its
            // ceiling (20 output tokens and a short prompt) fits in the budget beforehand.
            try await BudgetRepository(client: client).set(
                tenantID: tenant, period: .day, limitUSD: 0.0001, alertRatio: 0.5, logger: fixture.logger)
        }
        #expect(try await Self.chat(fixture, key: key).status == 200)

        var events: [Delivery] = []
        let announced = await TestBroker.eventually(timeout: .seconds(10)) {
            events += (try? await TestBroker.admin.drain(alerts, limit: 10)) ?? []
            return events.count >= 2
        }
        #expect(announced)
        let thresholds = try events.map { try WireJSON.decoder().decode(EventEnvelope<BudgetAlert>.self, from: $0.body).payload.threshold }
        #expect(Set(thresholds) == [0.5, 1.0])

        // Usage rows are written in batches; the refusal reads them.
        #expect(await TestBroker.eventually(timeout: .seconds(10)) {
            ((try? await fixture.request("GET", "/v1/usage", key: key).json)?["total"] as? [String: Any])?["calls"] as? Int == 1
        })
        let refused = try await Self.chat(fixture, key: key)
        #expect(refused.status == 429)
        #expect(refused.errorCode == "budget_exceeded")
        let memorize = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": "bo", "messages": [["role": "user", "content": "I live in Rome"]]])
        #expect(memorize.status == 429)
        #expect(memorize.errorCode == "budget_exceeded")
        // No second alert for the same period and thresholds.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await TestBroker.admin.drain(alerts, limit: 10).isEmpty)
        try? await TestBroker.admin.deleteQueues([alerts])
        // The worker counts them without naming the tenant (tenants are unbounded).
        let metrics = fixture.llmMetrics.emitToString().split(separator: "\n").filter { $0.hasPrefix("memgrid_llm_budget_") }
        func count(_ name: String, _ labels: String...) -> Int? {
            metrics.first { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) }.flatMap { $0.split(separator: " ").last }
                .flatMap { Int($0) }
        }
        #expect(count("memgrid_llm_budget_alerts_total", #"period="day""#, #"level="warning""#) == 1, "\(metrics)")
        #expect(count("memgrid_llm_budget_alerts_total", #"period="day""#, #"level="exhausted""#) == 1)
        #expect(count("memgrid_llm_budget_refusals_total", #"period="day""#).map { $0 >= 1 } == true)
        #expect(!metrics.contains { $0.contains(tenant) })
    }

    /// OpenAI's 401 quotes the (masked) key: neither a chat answer nor a job's dead letter
    /// may pass a provider's text on to the tenant.
    @Test func providerErrorTextsNeverReachTheTenant() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "leak-tenant")
        let chat = try await fixture.request(
            "POST", "/v1/chat/completions", key: key, json: ["model": "fake-chat", "messages": [["role": "user", "content": "KEYLEAK"]]])
        let text = String(decoding: chat.body, as: UTF8.self)
        #expect(chat.status == 502, "\(text)")
        #expect(!text.contains("sk-abc") && !text.contains("Incorrect API key"), "\(text)")
        #expect(text.contains("credentials"))

        let memorize = try await fixture.request(
            "POST", "/v1/memorize", key: key, json: ["user_id": "leak", "messages": [["role": "user", "content": "KEYLEAK I live in Oslo"]]])
        let jobID = try #require(memorize.json["id"] as? String)
        var job: [String: Any] = [:]
        _ = await TestBroker.eventually(timeout: .seconds(30)) {
            job = (try? await fixture.request("GET", "/v1/jobs/\(jobID)", key: key).json) ?? [:]
            return job["status"] as? String == "dead_lettered"
        }
        let shown = "\(job)"
        #expect(job["status"] as? String == "dead_lettered", "\(shown)")
        #expect(!shown.contains("sk-abc") && !shown.contains("Incorrect API key"), "\(shown)")
    }

    /// A job delivered again after it succeeded (its ack lost) reuses the kept answer:
    /// one provider call, and the same items stored.
    @Test func aRedeliveredMemorizeCallsTheModelOnce() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "redelivery-tenant"
        _ = try await fixture.key(tenant: tenant)
        let topology = Topology(prefix: fixture.prefix)
        let completed = "\(fixture.prefix).test-completed-\(UUID().uuidString.prefix(8))"
        try await TestBroker.admin.declareQueue(completed)
        try await TestBroker.admin.bind(completed, to: topology.eventsExchange, routingKey: EventCatalog.jobCompleted.routingKey)
        let marker = "ONCEONLY-\(UUID().uuidString)"
        let job = JobEnvelope(
            id: "redeliver-\(UUID().uuidString)", tenantID: tenant,
            payload: MemorizeJob(userID: "r", messages: [.init(role: .user, content: "\(marker) I live in Lyon")]))
        var announced = 0
        for delivery in 1...2 {
            try await fixture.gateway.publisher.publish(.job(job, topology: topology))
            #expect(await TestBroker.eventually(timeout: .seconds(30)) {
                announced += (try? await TestBroker.admin.drain(completed, limit: 100))?
                    .filter { $0.properties.correlationID == job.id }.count ?? 0
                return announced == delivery
            }, "delivery \(delivery) completed")
        }
        try await TestBroker.admin.deleteQueues([completed])
        let calls = Self.fake.requests.filter { request in request.messages.contains { $0.text.contains(marker) } }
        #expect(calls.count == 1, "\(calls.count) provider calls for one job")
        let items = try await fixture.request("GET", "/v1/memories?user_id=r", key: try await fixture.key(tenant: tenant))
        #expect(items.data.count == 1)
    }

    /// A streaming client that goes away stops the provider call too: the worker is told
    /// (through Redis) and cancels, instead of paying for 6 s of answer nobody reads.
    @Test func aStreamWhoseClientLeavesIsCancelledUpstream() async throws {
        let fixture = try await Self.system.fixture
        let tenant = "leaving-tenant"
        let key = try await fixture.key(tenant: tenant)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-sN", "--max-time", "1", "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/json",
            "-d", #"{"model": "fake-chat", "stream": true, "messages": [{"role": "user", "content": "SLOWSTREAM please"}]}"#,
            "http://127.0.0.1:\(fixture.port)/v1/chat/completions",
        ]
        curl.standardOutput = FileHandle.nullDevice
        try curl.run()
        _ = await curl.exitStatus()
        var outcomes: [String] = []
        let cancelled = await TestBroker.eventually(timeout: .seconds(4)) {
            outcomes = (try? await fixture.database.withClient(url: fixture.database.url) { client in
                var found: [String] = []
                for try await outcome in try await client.query(
                    "SELECT outcome FROM llm_calls WHERE tenant_id = \(tenant)", logger: fixture.logger
                ).decode(String.self) { found.append(outcome) }
                return found
            }) ?? []
            return outcomes == ["cancelled"]
        }
        #expect(cancelled, "\(outcomes)")
    }

    @Test func unknownModelsAndBadBodiesAreClientErrors() async throws {
        let fixture = try await Self.system.fixture
        let key = try await fixture.key(tenant: "chat-errors-tenant")
        let unknown = try await fixture.request(
            "POST", "/v1/chat/completions", key: key, json: ["model": "gpt-9", "messages": [["role": "user", "content": "hi"]]])
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "model_not_found")
        let badRole = try await fixture.request(
            "POST", "/v1/chat/completions", key: key, json: ["model": "fake-chat", "messages": [["role": "robot", "content": "hi"]]])
        #expect(badRole.status == 400)
        let invalid: [(body: [String: Any], param: String)] = [
            (["messages": [["role": "user", "content": "hi"], ["role": "tool", "content": "21 C"]]], "messages[1].tool_call_id"),
            (["messages": [["role": "user", "content": NSNull()]]], "messages[0].content"),
            (["messages": [["role": "user", "content": [["text": "no type"]]]]], "messages[0].content"),
            (["messages": [["role": "user", "content": "hi"]], "n": 0], "n"),
            (["messages": [["role": "user", "content": "hi"]], "max_completion_tokens": 0], "max_completion_tokens"),
            (["messages": [["role": "user", "content": "hi"]], "memory": ["user_id": 5]], "memory.user_id"),
            (["messages": [["role": "user", "content": "hi"]], "memory": ["user_id": "u", "colour": "red"]], "memory.colour"),
            (["messages": [["role": "user", "content": "hi"]], "memory": ["user_id": "u", "max_tokens": 0]], "memory.max_tokens"),
        ]
        for (body, param) in invalid {
            let reply = try await fixture.request(
                "POST", "/v1/chat/completions", key: key, json: body.merging(["model": "fake-chat"]) { first, _ in first })
            #expect(reply.status == 400, "\(param): \(String(decoding: reply.body, as: UTF8.self))")
            #expect(reply.errorParam == param, "\(String(decoding: reply.body, as: UTF8.self))")
        }
    }
}

/// Without providers (the offline default) chat is a clear 503.
@Suite struct OfflineChatTests {
    @Test func chatWithoutAProviderIsServiceUnavailable() async throws {
        let fixture = try await GatewayAPITests.system()
        let key = try await fixture.key(tenant: "offline-chat-tenant")
        let reply = try await LLMGatewayTests.chat(fixture, key: key)
        #expect(reply.status == 503)
        #expect(reply.errorCode == "no_llm_provider")
    }
}

extension SharedFixture {
    /// The LLM worker calls `LLMGatewayTests.fake`.
    static let llmGateway: SharedFixture = SharedFixture {
        try await GatewayFixture.withFakeLLM(LLMGatewayTests.fake) { port in
            """
            {"providers": [{"name": "fake", "base_url": "http://127.0.0.1:\(port)/v1", "rpm": 100000, "tpm": 100000000,
              "models": [{"name": "fake-chat", "input_per_million": 1, "output_per_million": 2, "cached_input_per_million": 0.5,
                          "max_output_tokens": 20}]}],
             "max_attempts": 2, "retry_base_delay_ms": 5}
            """
        }
    }
}
