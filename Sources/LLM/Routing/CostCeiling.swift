public import Contracts

/// The most one call of a request can cost, for budgets to reserve before it starts.
///
/// Output is bounded by `max_tokens`: a request may ask for at most its model's
/// `maxOutputTokens`, and one that asks for none is sent with it (`bounded`); `n`
/// answers may each use it all. The prompt
/// is estimated from its bytes: a token is rarely shorter than 3 bytes of UTF-8 (English
/// averages about 4, CJK 3), so the estimate errs high. The ceiling is the dearest
/// deployment of the request's chain.
public struct CostCeiling: Sendable, Equatable {
    public var maxTokens: Int
    public var costUSD: Double

    public init(for request: ChatRequest, configuration: LLMConfiguration) throws {
        let chain = try configuration.chain(for: request.model)
        let cap = chain[0].maxOutputTokens
        let asked = request.completionTokenCap ?? cap
        guard (1...cap).contains(asked) else {
            throw LLMError(.rejected, "max_tokens must be between 1 and \(cap) for this model")
        }
        maxTokens = asked
        let promptTokens = request.messages.reduce(0) { $0 + $1.text.utf8.count / 3 + 4 }
        costUSD = chain.map { deployment in
            (Double(promptTokens) * deployment.price.inputPerMillion
                + Double(asked * request.choiceCount) * deployment.price.outputPerMillion) / 1_000_000
        }.max() ?? 0
    }

    /// The request with its token cap set (in the caller's spelling), so no answer can cost more than the ceiling.
    public func bounded(_ request: ChatRequest) -> ChatRequest {
        var request = request
        request.completionTokenCap = maxTokens
        return request
    }
}
