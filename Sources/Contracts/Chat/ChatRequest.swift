/// A chat-completion request: the OpenAI `/v1/chat/completions` body, sent to providers
/// as it came (with `model` replaced by the deployment's) and carried to the LLM worker
/// inside `ChatCall`. memgrid models only what it reads or sets; every other member
/// (`tools`, `tool_choice`, `n`, `logprobs`, `seed`, a provider's own options such as
/// DeepSeek's `thinking`) rides along in `extra`.
public struct ChatRequest: Codable, Hashable, Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double?
    /// The completion token cap, in either spelling; each is sent back as it came.
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var responseFormat: ResponseFormat?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var extra: UnmodeledFields

    public init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil,
        responseFormat: ResponseFormat? = nil, stream: Bool? = nil, streamOptions: StreamOptions? = nil,
        extra: UnmodeledFields = [:]
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
        self.stream = stream
        self.streamOptions = streamOptions
        self.extra = extra
    }

    /// How many answers the caller asked for (`n`): each may use the whole token cap.
    public var choiceCount: Int {
        max(extra["n"]?.intValue ?? 1, 1)
    }

    /// The completion token cap the caller asked for, in whichever spelling.
    public var completionTokenCap: Int? {
        get { maxCompletionTokens ?? maxTokens }
        set {
            if maxCompletionTokens != nil { maxCompletionTokens = newValue } else { maxTokens = newValue }
        }
    }

    /// OpenAI's `response_format`: `text`, `json_object`, or `json_schema` with a schema.
    public struct ResponseFormat: Codable, Hashable, Sendable {
        public var type: String
        public var jsonSchema: JSONSchemaFormat?

        public init(type: String, jsonSchema: JSONSchemaFormat? = nil) {
            self.type = type
            self.jsonSchema = jsonSchema
        }

        public static func jsonSchema(name: String, schema: JSONValue, strict: Bool = true) -> ResponseFormat {
            ResponseFormat(type: "json_schema", jsonSchema: JSONSchemaFormat(name: name, schema: schema, strict: strict))
        }

        enum CodingKeys: String, CodingKey {
            case type
            case jsonSchema = "json_schema"
        }
    }

    public struct JSONSchemaFormat: Codable, Hashable, Sendable {
        public var name: String
        public var description: String?
        public var schema: JSONValue?
        public var strict: Bool?

        public init(name: String, description: String? = nil, schema: JSONValue? = nil, strict: Bool? = nil) {
            self.name = name
            self.description = description
            self.schema = schema
            self.strict = strict
        }
    }

    public struct StreamOptions: Codable, Hashable, Sendable {
        public var includeUsage: Bool?
        public var extra: UnmodeledFields

        public init(includeUsage: Bool? = nil, extra: UnmodeledFields = [:]) {
            self.includeUsage = includeUsage
            self.extra = extra
        }

        public init(from decoder: any Decoder) throws {
            includeUsage = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Bool.self, forKey: .includeUsage)
            extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(includeUsage, forKey: .includeUsage)
            try JSONValue.encode(extra, to: encoder)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case includeUsage = "include_usage"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        messages = try container.decode([ChatMessage].self, forKey: .messages)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        responseFormat = try container.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        extra = try JSONValue.unmodeled(in: decoder, besides: CodingKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(temperature, forKey: .temperature)
        try container.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try container.encodeIfPresent(maxCompletionTokens, forKey: .maxCompletionTokens)
        try container.encodeIfPresent(responseFormat, forKey: .responseFormat)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encodeIfPresent(streamOptions, forKey: .streamOptions)
        try JSONValue.encode(extra, to: encoder)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, messages, temperature, stream
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case responseFormat = "response_format"
        case streamOptions = "stream_options"
    }
}
