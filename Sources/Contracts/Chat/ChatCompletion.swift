/// A provider's answer in OpenAI's `chat.completion` shape; also what the gateway returns.
/// Members memgrid does not read (`system_fingerprint`, a choice's `logprobs`, the
/// message's `tool_calls`, `refusal` or `reasoning_content`) are kept in `extra` and
/// reach the client unchanged.
public struct ChatCompletion: Codable, Hashable, Sendable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: ChatUsage?
    public var extra: UnmodeledFields

    public init(id: String, created: Int, model: String, choices: [Choice], usage: ChatUsage?, extra: UnmodeledFields = [:]) {
        self.id = id
        self.object = "chat.completion"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.extra = extra
    }

    public struct Choice: Codable, Hashable, Sendable {
        public var index: Int
        public var message: ChatMessage
        public var finishReason: String?
        public var extra: UnmodeledFields

        public init(index: Int, message: ChatMessage, finishReason: String?, extra: UnmodeledFields = [:]) {
            self.index = index
            self.message = message
            self.finishReason = finishReason
            self.extra = extra
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            index = try container.decode(Int.self, forKey: .index)
            message = try container.decode(ChatMessage.self, forKey: .message)
            finishReason = try container.decodeIfPresent(String.self, forKey: .finishReason)
            extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(message, forKey: .message)
            try container.encode(finishReason, forKey: .finishReason)
            try JSONValue.encode(extra, to: encoder)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    /// The first choice's text, what memgrid's own callers (extraction) read.
    public var text: String { choices.first?.message.text ?? "" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        object = try container.decodeIfPresent(String.self, forKey: .object) ?? "chat.completion"
        created = try container.decode(Int.self, forKey: .created)
        model = try container.decode(String.self, forKey: .model)
        choices = try container.decode([Choice].self, forKey: .choices)
        usage = try container.decodeIfPresent(ChatUsage.self, forKey: .usage)
        extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        try container.encodeIfPresent(usage, forKey: .usage)
        try JSONValue.encode(extra, to: encoder)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, object, created, model, choices, usage
    }
}

/// One `chat.completion.chunk` of a streamed answer, unmodeled members kept like
/// `ChatCompletion`'s (a delta's `tool_calls` and `reasoning_content`, `logprobs`).
public struct ChatChunk: Codable, Hashable, Sendable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    /// On the last chunk, when usage was asked for (`stream_options.include_usage`).
    public var usage: ChatUsage?
    public var extra: UnmodeledFields

    public init(id: String, created: Int, model: String, choices: [Choice], usage: ChatUsage? = nil, extra: UnmodeledFields = [:]) {
        self.id = id
        self.object = "chat.completion.chunk"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.extra = extra
    }

    public struct Choice: Codable, Hashable, Sendable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?
        public var extra: UnmodeledFields

        public init(index: Int, delta: Delta, finishReason: String? = nil, extra: UnmodeledFields = [:]) {
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
            self.extra = extra
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            index = try container.decode(Int.self, forKey: .index)
            delta = try container.decodeIfPresent(Delta.self, forKey: .delta) ?? Delta()
            finishReason = try container.decodeIfPresent(String.self, forKey: .finishReason)
            extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)
            try JSONValue.encode(extra, to: encoder)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case index, delta
            case finishReason = "finish_reason"
        }
    }

    public struct Delta: Codable, Hashable, Sendable {
        public var role: String?
        public var content: String?
        public var extra: UnmodeledFields

        public init(role: String? = nil, content: String? = nil, extra: UnmodeledFields = [:]) {
            self.role = role
            self.content = content
            self.extra = extra
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decodeIfPresent(String.self, forKey: .role)
            content = try container.decodeIfPresent(String.self, forKey: .content)
            extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
            // A tool-call delta's explicit `"content": null` goes on as sent.
            if content == nil, container.contains(.content) { extra["content"] = .null }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(role, forKey: .role)
            try container.encodeIfPresent(content, forKey: .content)
            try JSONValue.encode(extra, to: encoder)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case role, content
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        object = try container.decodeIfPresent(String.self, forKey: .object) ?? "chat.completion.chunk"
        created = try container.decode(Int.self, forKey: .created)
        model = try container.decode(String.self, forKey: .model)
        choices = try container.decode([Choice].self, forKey: .choices)
        usage = try container.decodeIfPresent(ChatUsage.self, forKey: .usage)
        extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        try container.encodeIfPresent(usage, forKey: .usage)
        try JSONValue.encode(extra, to: encoder)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, object, created, model, choices, usage
    }
}

/// Token usage, with both cached-input spellings: DeepSeek's `prompt_cache_hit_tokens`
/// and OpenAI's `prompt_tokens_details.cached_tokens`. Other details
/// (`completion_tokens_details`, …) are kept in `extra`.
public struct ChatUsage: Codable, Hashable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var promptCacheHitTokens: Int?
    public var promptCacheMissTokens: Int?
    public var extra: UnmodeledFields

    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
        self.extra = cachedTokens > 0 ? ["prompt_tokens_details": .object(["cached_tokens": .integer(Int64(cachedTokens))])] : [:]
    }

    /// Prompt tokens the provider served from its cache (billed at the cached price).
    public var cachedTokens: Int {
        let details = extra["prompt_tokens_details"]?.objectValue?["cached_tokens"]?.intValue ?? 0
        return min(promptTokens, max(promptCacheHitTokens ?? 0, details))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decode(Int.self, forKey: .promptTokens)
        completionTokens = try container.decode(Int.self, forKey: .completionTokens)
        totalTokens = try container.decodeIfPresent(Int.self, forKey: .totalTokens) ?? promptTokens + completionTokens
        promptCacheHitTokens = try container.decodeIfPresent(Int.self, forKey: .promptCacheHitTokens)
        promptCacheMissTokens = try container.decodeIfPresent(Int.self, forKey: .promptCacheMissTokens)
        extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
        try container.encodeIfPresent(promptCacheHitTokens, forKey: .promptCacheHitTokens)
        try container.encodeIfPresent(promptCacheMissTokens, forKey: .promptCacheMissTokens)
        try JSONValue.encode(extra, to: encoder)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptCacheHitTokens = "prompt_cache_hit_tokens"
        case promptCacheMissTokens = "prompt_cache_miss_tokens"
    }
}
