/// One OpenAI-compatible provider: where it is, how to authenticate, its limits and
/// the models it serves.
public struct ProviderConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// A model as one provider serves it.
    public struct Model: Sendable, Hashable {
        /// The name the provider expects in `model`.
        public var name: String
        public var price: ModelPrice
        /// Models to try, in order, when every provider of this one failed.
        public var fallbacks: [String]
        /// The most `max_tokens` a call may ask for; a call that names none is sent with
        /// it, so every call's cost has a ceiling that budgets reserve.
        public var maxOutputTokens: Int

        public static let defaultMaxOutputTokens = 4096

        public init(name: String, price: ModelPrice, fallbacks: [String] = [], maxOutputTokens: Int = Self.defaultMaxOutputTokens) {
            self.name = name
            self.price = price
            self.fallbacks = fallbacks
            self.maxOutputTokens = maxOutputTokens
        }
    }

    /// Unique among providers: metrics, logs and rate-limit buckets use it.
    public var name: String
    /// Up to and including the API version, e.g. `https://api.deepseek.com/v1`.
    public var baseURL: String
    /// Sent as a bearer token; nil for local servers (vLLM, Ollama) that take none.
    public var apiKey: String?
    public var rpm: Int?
    public var tpm: Int?
    public var maxConcurrency: Int
    /// For a whole answer; for a stream, the longest wait for its next bytes.
    public var timeout: Duration
    public var models: [Model]

    public init(
        name: String, baseURL: String, apiKey: String? = nil, rpm: Int? = nil, tpm: Int? = nil, maxConcurrency: Int = 256,
        timeout: Duration = .seconds(60), models: [Model]
    ) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.rpm = rpm
        self.tpm = tpm
        self.maxConcurrency = maxConcurrency
        self.timeout = timeout
        self.models = models
    }

    /// What the rate limiter needs to know.
    public var limits: ProviderLimits {
        ProviderLimits(provider: name, rpm: rpm, tpm: tpm, maxConcurrency: maxConcurrency)
    }

    /// Leaves the key out, so logging a configuration cannot leak it.
    public var description: String {
        "ProviderConfiguration(name: \(name), baseURL: \(baseURL), apiKey: \(apiKey == nil ? "none" : "set"), models: \(models.map(\.name)))"
    }
}
