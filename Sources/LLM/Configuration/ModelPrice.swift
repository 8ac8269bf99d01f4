public import Contracts

/// What a model costs, in USD per million tokens.
public struct ModelPrice: Sendable, Hashable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    /// Prompt tokens the provider served from its cache; providers bill them lower.
    public var cachedInputPerMillion: Double

    /// Without a cached price, cached tokens cost as much as any other input.
    public init(inputPerMillion: Double, outputPerMillion: Double, cachedInputPerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion ?? inputPerMillion
    }

    /// The USD cost of one call's usage.
    public func cost(of usage: ChatUsage) -> Double {
        let cached = Double(usage.cachedTokens)
        let uncached = Double(usage.promptTokens) - cached
        let completion = Double(usage.completionTokens)
        return (uncached * inputPerMillion + cached * cachedInputPerMillion + completion * outputPerMillion) / 1_000_000
    }
}
