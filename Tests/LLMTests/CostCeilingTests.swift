import Contracts
import LLM
import Testing

@Suite("Cost ceiling")
struct CostCeilingTests {
    static let configuration = LLMConfiguration(providers: [
        ProviderConfiguration(
            name: "p", baseURL: "http://p/v1",
            models: [.init(name: "m", price: ModelPrice(inputPerMillion: 1, outputPerMillion: 10), maxOutputTokens: 100)]),
    ])

    static func request(_ extra: UnmodeledFields = [:], maxTokens: Int? = nil, maxCompletionTokens: Int? = nil) -> ChatRequest {
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: "user", content: "")], maxTokens: maxTokens, extra: extra)
        request.maxCompletionTokens = maxCompletionTokens
        return request
    }

    @Test("n answers may each use the whole token cap")
    func choicesMultiplyTheOutput() throws {
        let one = try CostCeiling(for: Self.request(maxTokens: 50), configuration: Self.configuration)
        let three = try CostCeiling(for: Self.request(["n": .integer(3)], maxTokens: 50), configuration: Self.configuration)
        // 4 prompt tokens (an empty message) at $1/M, 50 output tokens at $10/M per answer.
        #expect(abs(one.costUSD - 504e-6) < 1e-12)
        #expect(abs(three.costUSD - 1504e-6) < 1e-12)
    }

    @Test("the cap is set in the caller's spelling, and bounded by the model's")
    func capSpelling() throws {
        let newer = try CostCeiling(for: Self.request(maxCompletionTokens: 30), configuration: Self.configuration)
        let bounded = newer.bounded(Self.request(maxCompletionTokens: 30))
        #expect(bounded.maxCompletionTokens == 30 && bounded.maxTokens == nil)
        let unset = try CostCeiling(for: Self.request(), configuration: Self.configuration).bounded(Self.request())
        #expect(unset.maxTokens == 100 && unset.maxCompletionTokens == nil)
        #expect(throws: LLMError.self) { try CostCeiling(for: Self.request(maxCompletionTokens: 101), configuration: Self.configuration) }
    }
}
