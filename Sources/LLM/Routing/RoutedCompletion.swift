public import Contracts

/// A completion and where it came from.
public struct RoutedCompletion: Sendable, Hashable {
    /// `model` is the deployment's model name.
    public var completion: ChatCompletion
    public var provider: String
    public var model: String
    /// Provider calls made, across retries and fallbacks (admission refusals not counted).
    public var attempts: Int
    /// Time spent inside provider HTTP calls only, without backoff sleeps or admission
    /// waits: what is left of the total is memgrid's own overhead. A stream's calls
    /// include the time its `onChunk` took.
    public var providerTime: Duration

    public init(completion: ChatCompletion, provider: String, model: String, attempts: Int, providerTime: Duration) {
        self.completion = completion
        self.provider = provider
        self.model = model
        self.attempts = attempts
        self.providerTime = providerTime
    }
}
