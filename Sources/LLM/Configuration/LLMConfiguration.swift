public import ProviderHTTP

/// The LLM providers memgrid may call, in preference order, with the retry policy and
/// how long a call may wait for rate-limit capacity. Empty (no provider) is the offline
/// default: extraction falls back to rules and chat answers 503.
public struct LLMConfiguration: Sendable, Hashable {
    /// A configuration that cannot be used; `field` names the offending setting.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            public let name: String
            public var description: String { name }

            /// A value is missing, has the wrong type or is out of range.
            public static let invalidValue = Code(name: "invalid_value")
            /// A key no setting has: most likely a typo.
            public static let unknownKey = Code(name: "unknown_key")
            /// An API key's environment variable is unset or empty, or its file is empty.
            public static let missingSecret = Code(name: "missing_secret")
            /// The providers file or an API key file cannot be read.
            public static let unreadableFile = Code(name: "unreadable_file")
        }

        public let code: Code
        /// An environment variable or a JSON path such as `providers[1].models[0].input_per_million`.
        public let field: String
        /// Never contains a key.
        public let message: String

        init(_ code: Code, _ field: String, _ message: String) {
            self.code = code
            self.field = field
            self.message = message
        }

        public var description: String { "invalid LLM configuration (\(code)): \(field): \(message)" }
    }

    public var providers: [ProviderConfiguration]
    /// What `""` and `"default"` mean as a requested model; nil = the first provider's first model.
    public var defaultModel: String?
    public var retry: ProviderRetry
    /// The longest a call waits for rate-limit capacity at one provider before trying the next.
    public var maxAdmissionWait: Duration

    public init(
        providers: [ProviderConfiguration] = [], defaultModel: String? = nil, retry: ProviderRetry = ProviderRetry(),
        maxAdmissionWait: Duration = .seconds(30)
    ) {
        self.providers = providers
        self.defaultModel = defaultModel
        self.retry = retry
        self.maxAdmissionWait = maxAdmissionWait
    }

    public var isEmpty: Bool { providers.isEmpty }

    /// Where a request for `model` goes, in order: every provider serving it, then the
    /// providers of each of its fallbacks. `""` and `"default"` mean the default model.
    public func chain(for model: String) throws -> [Deployment] {
        guard let firstModel = providers.first?.models.first else {
            throw LLMError(.noProvider, "no LLM provider is configured")
        }
        let name = model.isEmpty || model == "default" ? defaultModel ?? firstModel.name : model
        let primary = deployments(serving: name)
        guard !primary.isEmpty else { throw LLMError(.unknownModel, "no provider serves model \"\(name)\"") }
        var chain = primary.map(\.deployment)
        for fallback in primary.flatMap(\.fallbacks) {
            for candidate in deployments(serving: fallback).map(\.deployment)
            where !chain.contains(where: { $0.provider.name == candidate.provider.name && $0.model == candidate.model }) {
                chain.append(candidate)
            }
        }
        return chain
    }

    private func deployments(serving model: String) -> [(deployment: Deployment, fallbacks: [String])] {
        providers.flatMap { provider in
            provider.models.filter { $0.name == model }.map {
                (Deployment(provider: provider, model: $0.name, price: $0.price, maxOutputTokens: $0.maxOutputTokens), $0.fallbacks)
            }
        }
    }
}
