/// A model at one provider: one link of a routing chain.
public struct Deployment: Sendable, Hashable, CustomStringConvertible {
    public var provider: ProviderConfiguration
    /// The model name sent to the provider.
    public var model: String
    public var price: ModelPrice
    public var maxOutputTokens: Int

    public init(
        provider: ProviderConfiguration, model: String, price: ModelPrice,
        maxOutputTokens: Int = ProviderConfiguration.Model.defaultMaxOutputTokens
    ) {
        self.provider = provider
        self.model = model
        self.price = price
        self.maxOutputTokens = maxOutputTokens
    }

    public var description: String { "\(provider.name)/\(model)" }
}
