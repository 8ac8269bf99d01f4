import Contracts
import FakeOpenAI
import Foundation
import LLM
import Testing

@Suite("Pricing")
struct ModelPriceTests {
    let price = ModelPrice(inputPerMillion: 0.27, outputPerMillion: 1.10, cachedInputPerMillion: 0.07)

    @Test("cached prompt tokens are billed at the cached price, in both spellings", arguments: [
        FakeOpenAIServer.CachedSpelling.openAI, .deepSeek,
    ])
    func cached(spelling: FakeOpenAIServer.CachedSpelling) throws {
        let usage = FakeOpenAIServer.usage(prompt: 1000, completion: 500, cached: 600, spelling: spelling)
        // Through JSON, as it arrives from a provider.
        let decoded = try JSONDecoder().decode(ChatUsage.self, from: JSONEncoder().encode(usage))
        #expect(decoded.cachedTokens == 600)
        // (400 × 0.27 + 600 × 0.07 + 500 × 1.10) / 1e6
        #expect(abs(price.cost(of: decoded) - 700e-6) < 1e-12)
    }

    @Test("without a cached price, cached tokens cost as much as other input")
    func defaultCachedPrice() {
        let price = ModelPrice(inputPerMillion: 2, outputPerMillion: 8)
        #expect(price.cachedInputPerMillion == 2)
        let usage = ChatUsage(promptTokens: 1_000_000, completionTokens: 500_000, cachedTokens: 250_000)
        #expect(abs(price.cost(of: usage) - 6) < 1e-9)
    }
}
