/// A model at one provider: one link of a routing chain.
public struct Deployment: Sendable, Hashable, CustomStringConvertible {
    public var provider: ProviderConfiguration
    /// The model name sent to the provider.
    public var model: String
    public var price: ModelPrice

    public init(provider: ProviderConfiguration, model: String, price: ModelPrice) {
        self.provider = provider
        self.model = model
        self.price = price
    }

    public var description: String { "\(provider.name)/\(model)" }
}
