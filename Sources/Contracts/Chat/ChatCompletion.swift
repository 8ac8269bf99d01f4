/// A provider's answer in OpenAI's `chat.completion` shape; also what the gateway returns.
public struct ChatCompletion: Codable, Hashable, Sendable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: ChatUsage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: ChatUsage?) {
        self.id = id
        self.object = "chat.completion"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public struct Choice: Codable, Hashable, Sendable {
        public var index: Int
        public var message: ChatMessage
        public var finishReason: String?

        public init(index: Int, message: ChatMessage, finishReason: String?) {
            self.index = index
            self.message = message
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    /// The first choice's text, what memgrid's own callers (extraction) read.
    public var text: String { choices.first?.message.content ?? "" }
}

/// One `chat.completion.chunk` of a streamed answer.
public struct ChatChunk: Codable, Hashable, Sendable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    /// Only on the last chunk, when usage was asked for (`stream_options.include_usage`).
    public var usage: ChatUsage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: ChatUsage? = nil) {
        self.id = id
        self.object = "chat.completion.chunk"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public struct Choice: Codable, Hashable, Sendable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?

        public init(index: Int, delta: Delta, finishReason: String? = nil) {
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }
    }

    public struct Delta: Codable, Hashable, Sendable {
        public var role: String?
        public var content: String?

        public init(role: String? = nil, content: String? = nil) {
            self.role = role
            self.content = content
        }
    }
}

/// Token usage, with both cached-input spellings: DeepSeek's `prompt_cache_hit_tokens`
/// and OpenAI's `prompt_tokens_details.cached_tokens`.
public struct ChatUsage: Codable, Hashable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var promptTokensDetails: PromptDetails?
    public var promptCacheHitTokens: Int?
    public var promptCacheMissTokens: Int?

    public init(
        promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
        self.promptTokensDetails = cachedTokens > 0 ? PromptDetails(cachedTokens: cachedTokens) : nil
    }

    /// Prompt tokens the provider served from its cache (billed at the cached price).
    public var cachedTokens: Int {
        min(promptTokens, max(promptCacheHitTokens ?? 0, promptTokensDetails?.cachedTokens ?? 0))
    }

    public struct PromptDetails: Codable, Hashable, Sendable {
        public var cachedTokens: Int?

        public init(cachedTokens: Int?) {
            self.cachedTokens = cachedTokens
        }

        enum CodingKeys: String, CodingKey {
            case cachedTokens = "cached_tokens"
        }
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
        case promptCacheHitTokens = "prompt_cache_hit_tokens"
        case promptCacheMissTokens = "prompt_cache_miss_tokens"
    }
}
