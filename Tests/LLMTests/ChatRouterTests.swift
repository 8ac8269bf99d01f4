import AsyncHTTPClient
import Contracts
import FakeOpenAI
import LLM
import Logging
import ProviderHTTP
import Testing

@Suite("Chat router: retries, fallback, admission and metering against fake providers")
struct ChatRouterTests {
    /// 400 bytes of prompt and a 100-token cap: an estimate of 100 + 4 + 100 tokens.
    static let request = ChatRequest(
        model: "chat-a", messages: [ChatMessage(role: "user", content: String(repeating: "x", count: 400))], maxTokens: 100)
    static let priceA = ModelPrice(inputPerMillion: 1, outputPerMillion: 2)
    static let priceB = ModelPrice(inputPerMillion: 10, outputPerMillion: 20, cachedInputPerMillion: 5)

    /// Provider a serves chat-a, falling back to chat-b at provider b.
    func configuration(_ a: FakeOpenAIServer, _ b: FakeOpenAIServer, maxAttempts: Int = 3, timeout: Duration = .seconds(10)) -> LLMConfiguration {
        LLMConfiguration(
            providers: [
                ProviderConfiguration(
                    name: "a", baseURL: a.baseURL, apiKey: "sk-a", timeout: timeout,
                    models: [.init(name: "chat-a", price: Self.priceA, fallbacks: ["chat-b"])]),
                ProviderConfiguration(
                    name: "b", baseURL: b.baseURL, apiKey: "sk-b", timeout: timeout, models: [.init(name: "chat-b", price: Self.priceB)]),
            ],
            retry: ProviderRetry(maxAttempts: maxAttempts, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20)),
            maxAdmissionWait: .milliseconds(100))
    }

    func router(_ configuration: LLMConfiguration, admission: TestAdmission = TestAdmission(), httpClient: HTTPClient = .shared) -> ChatRouter {
        var logger = Logger(label: "test.router")
        logger.logLevel = .warning
        return ChatRouter(configuration: configuration, httpClient: httpClient, admission: admission, logger: logger)
    }

    func serving<T>(_ a: FakeOpenAIServer, _ b: FakeOpenAIServer, _ body: () async throws -> T) async throws -> T {
        try await a.run { try await b.run { try await body() } }
    }

    @Test("429 with Retry-After: 1 waits at least a second, then succeeds; the wait is not provider time")
    func retryAfter() async throws {
        let a = FakeOpenAIServer(script: [.status(429, retryAfter: "1", message: "rate limited")])
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let clock = ContinuousClock()
        let (routed, elapsed) = try await serving(a, b) {
            let start = clock.now
            let routed = try await router(configuration(a, b)).complete(Self.request) { meter.append($0) }
            return (routed, clock.now - start)
        }
        let arrivals = a.arrivals
        #expect(arrivals.count == 2)
        #expect(arrivals[1] - arrivals[0] >= .seconds(1))
        #expect(elapsed - routed.providerTime >= .seconds(1))
        #expect(routed.provider == "a")
        #expect(routed.attempts == 2)
        #expect(meter.all.map(\.outcome) == [.rateLimited, .ok])
        #expect(meter.all.map(\.status) == [429, 200])
    }

    @Test("500 and 503 are retried, then the same provider answers")
    func serverErrors() async throws {
        let a = FakeOpenAIServer(script: [.status(500, retryAfter: nil, message: "oops"), .status(503, retryAfter: nil, message: "busy")])
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let routed = try await serving(a, b) { try await router(configuration(a, b)).complete(Self.request) { meter.append($0) } }
        #expect(routed.provider == "a")
        #expect(routed.attempts == 3)
        #expect(a.requestCount == 3)
        #expect(b.requestCount == 0)
        #expect(meter.all.map(\.outcome) == [.serverError, .serverError, .ok])
        #expect(meter.all.map(\.status) == [500, 503, 200])
    }

    @Test("an answer later than the provider timeout is retried")
    func timeout() async throws {
        let a = FakeOpenAIServer(script: [.hang(.seconds(5))])
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let routed = try await serving(a, b) {
            try await router(configuration(a, b, timeout: .milliseconds(300))).complete(Self.request) { meter.append($0) }
        }
        #expect(routed.provider == "a")
        #expect(meter.all.map(\.outcome) == [.timeout, .ok])
        #expect(meter.all.first?.status == nil)
        #expect(meter.all.first.map { $0.latency >= .milliseconds(300) } == true)
    }

    @Test("malformed JSON is retried")
    func malformed() async throws {
        let a = FakeOpenAIServer(script: [.malformed])
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let routed = try await serving(a, b) { try await router(configuration(a, b)).complete(Self.request) { meter.append($0) } }
        #expect(routed.attempts == 2)
        #expect(meter.all.map(\.outcome) == [.invalidResponse, .ok])
    }

    @Test("when every attempt at a fails, b answers with its model; each attempt is metered and its permit returned")
    func fallback() async throws {
        let a = FakeOpenAIServer(default: .status(503, retryAfter: nil, message: "down"))
        let usage = FakeOpenAIServer.usage(prompt: 1000, completion: 100, cached: 400, spelling: .deepSeek)
        let b = FakeOpenAIServer(default: .reply(content: "from b", usage: usage))
        let meter = Recorder<CallRecord>()
        let admission = TestAdmission()
        let routed = try await serving(a, b) {
            try await router(configuration(a, b, maxAttempts: 2), admission: admission).complete(Self.request) { meter.append($0) }
        }
        #expect(routed.provider == "b")
        #expect(routed.model == "chat-b")
        #expect(routed.completion.model == "chat-b")
        #expect(routed.completion.text == "from b")
        #expect(routed.attempts == 3)
        #expect(b.requests.map(\.model) == ["chat-b"])
        #expect(b.authorizations == ["Bearer sk-b"])
        let records = meter.all
        #expect(records.map(\.provider) == ["a", "a", "b"])
        #expect(records.map(\.model) == ["chat-a", "chat-a", "chat-b"])
        #expect(records.map(\.outcome) == [.serverError, .serverError, .ok])
        #expect(records.prefix(2).allSatisfy { $0.costUSD == 0 && $0.promptTokens == 0 })
        let answered = try #require(records.last)
        #expect(answered.promptTokens == 1000)
        #expect(answered.completionTokens == 100)
        #expect(answered.cachedTokens == 400)
        // (600 × 10 + 400 × 5 + 100 × 20) / 1e6
        #expect(abs(answered.costUSD - 0.01) < 1e-12)
        #expect(admission.admitted == [204, 204, 204])
        #expect(admission.finished == [nil, nil, 1100])
    }

    @Test("a 400 fails at once with the provider's message, without fallback")
    func rejected() async throws {
        let a = FakeOpenAIServer(default: .status(400, retryAfter: nil, message: "messages must not be empty"))
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let error = try await serving(a, b) {
            await #expect(throws: LLMError.self) { try await router(configuration(a, b)).complete(Self.request) { meter.append($0) } }
        }
        #expect(error?.code == .rejected)
        #expect(error?.status == 400)
        #expect(error?.message.contains("messages must not be empty") == true)
        #expect(a.requestCount == 1)
        #expect(b.requestCount == 0)
        #expect(meter.all.map(\.outcome) == [.rejected])
    }

    @Test("when everything fails, the last failure is reported as unavailable")
    func exhausted() async throws {
        let a = FakeOpenAIServer(default: .status(503, retryAfter: nil, message: "a down"))
        let b = FakeOpenAIServer(default: .hang(.seconds(5)))
        let meter = Recorder<CallRecord>()
        let error = try await serving(a, b) {
            await #expect(throws: LLMError.self) {
                try await router(configuration(a, b, maxAttempts: 2, timeout: .seconds(1))).complete(Self.request) { meter.append($0) }
            }
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("4 attempts") == true)
        #expect(meter.all.map(\.outcome) == [.serverError, .serverError, .timeout, .timeout])
    }

    @Test("an unknown model or no provider fails before any call")
    func unknownModel() async throws {
        let a = FakeOpenAIServer()
        let b = FakeOpenAIServer()
        try await serving(a, b) {
            var request = Self.request
            request.model = "gpt-9"
            let unknown = await #expect(throws: LLMError.self) { try await router(configuration(a, b)).complete(request) { _ in } }
            #expect(unknown?.code == .unknownModel)
            let none = await #expect(throws: LLMError.self) { try await router(LLMConfiguration()).complete(Self.request) { _ in } }
            #expect(none?.code == .noProvider)
        }
        #expect(a.requestCount + b.requestCount == 0)
    }

    @Test("no rate-limit capacity at a moves on to b; none anywhere is a capacity timeout")
    func capacity() async throws {
        let a = FakeOpenAIServer()
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        try await serving(a, b) {
            let routed = try await router(configuration(a, b), admission: TestAdmission(refusing: ["a"])).complete(Self.request) {
                meter.append($0)
            }
            #expect(routed.provider == "b")
            #expect(routed.attempts == 1)
            let error = await #expect(throws: LLMError.self) {
                try await router(configuration(a, b), admission: TestAdmission(refusing: ["a", "b"])).complete(Self.request) { meter.append($0) }
            }
            #expect(error?.code == .capacityTimeout)
        }
        #expect(a.requestCount == 0)
        #expect(b.requestCount == 1)
        #expect(meter.all.map(\.provider) == ["b"])
    }

    @Test("a stream that fails after its first chunk went out is not retried")
    func streamNoRetryAfterFirstChunk() async throws {
        let a = FakeOpenAIServer(default: .streamError(afterChunks: 2, message: "lost the GPU"))
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let chunks = Recorder<ChatChunk>()
        let error = try await serving(a, b) {
            await #expect(throws: LLMError.self) {
                try await router(configuration(a, b)).stream(Self.request, meter: { meter.append($0) }) { chunks.append($0) }
            }
        }
        #expect(error?.code == .streamFailed)
        #expect(error?.message.contains("lost the GPU") == true)
        #expect(a.requestCount == 1)
        #expect(b.requestCount == 0)
        #expect(chunks.all.count == 2)
        #expect(chunks.all.allSatisfy { $0.model == "chat-a" })
        #expect(meter.all.map(\.outcome) == [.streamFailed])
    }

    @Test("a stream failing before its first chunk is retried, and only the answer's chunks go out")
    func streamRetryBeforeFirstChunk() async throws {
        let a = FakeOpenAIServer(script: [
            .status(503, retryAfter: nil, message: "busy"), .streamError(afterChunks: 0, message: "warming up"),
        ])
        let b = FakeOpenAIServer()
        let meter = Recorder<CallRecord>()
        let chunks = Recorder<ChatChunk>()
        let routed = try await serving(a, b) {
            try await router(configuration(a, b)).stream(Self.request, meter: { meter.append($0) }) { chunks.append($0) }
        }
        #expect(routed.provider == "a")
        #expect(routed.attempts == 3)
        #expect(routed.completion.model == "chat-a")
        #expect(routed.completion.text == "fake answer")
        #expect(chunks.all.compactMap { $0.choices.first?.delta.content }.joined() == "fake answer")
        #expect(meter.all.map(\.outcome) == [.serverError, .streamFailed, .ok])
        #expect(meter.all.last?.promptTokens == 12)
    }

    @Test("with the configuration's HTTP client, calls to one plain-HTTP provider are not capped at 8 connections")
    func concurrency() async throws {
        let a = FakeOpenAIServer(delay: .milliseconds(500))
        let b = FakeOpenAIServer()
        try await serving(a, b) {
            let configuration = configuration(a, b)
            let httpClient = HTTPClient(configuration: configuration.httpClientConfiguration)
            let router = router(configuration, httpClient: httpClient)
            let answered = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<64 { group.addTask { try await router.complete(Self.request) { _ in }.provider } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            try await httpClient.shutdown()
            #expect(answered == Array(repeating: "a", count: 64))
        }
        #expect(a.peakInFlight > 8)
    }
}
