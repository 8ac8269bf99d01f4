/// A chat-completion request: the OpenAI `/v1/chat/completions` body memgrid accepts,
/// sent to providers as is (with `model` replaced by the deployment's) and carried to
/// the LLM worker inside `ChatCall`.
public struct ChatRequest: Codable, Hashable, Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var topP: Double?
    /// Completion token cap; `max_completion_tokens` is accepted as its newer spelling.
    public var maxTokens: Int?
    public var stop: [String]?
    public var seed: Int?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var responseFormat: ResponseFormat?
    public var user: String?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    public init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil,
        stop: [String]? = nil, seed: Int? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil,
        responseFormat: ResponseFormat? = nil, user: String? = nil, stream: Bool? = nil, streamOptions: StreamOptions? = nil
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.responseFormat = responseFormat
        self.user = user
        self.stream = stream
        self.streamOptions = streamOptions
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

        public init(includeUsage: Bool? = nil) {
            self.includeUsage = includeUsage
        }

        enum CodingKeys: String, CodingKey {
            case includeUsage = "include_usage"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        messages = try container.decode([ChatMessage].self, forKey: .messages)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
            ?? container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        // OpenAI takes one stop string or several.
        if let one = try? container.decodeIfPresent(String.self, forKey: .stop) {
            stop = [one]
        } else {
            stop = try container.decodeIfPresent([String].self, forKey: .stop)
        }
        seed = try container.decodeIfPresent(Int.self, forKey: .seed)
        presencePenalty = try container.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try container.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        responseFormat = try container.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(temperature, forKey: .temperature)
        try container.encodeIfPresent(topP, forKey: .topP)
        try container.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try container.encodeIfPresent(stop, forKey: .stop)
        try container.encodeIfPresent(seed, forKey: .seed)
        try container.encodeIfPresent(presencePenalty, forKey: .presencePenalty)
        try container.encodeIfPresent(frequencyPenalty, forKey: .frequencyPenalty)
        try container.encodeIfPresent(responseFormat, forKey: .responseFormat)
        try container.encodeIfPresent(user, forKey: .user)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encodeIfPresent(streamOptions, forKey: .streamOptions)
    }

    /// Every top-level field memgrid accepts (the gateway rejects others).
    public static let fieldNames: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, messages, temperature, stop, seed, user, stream
        case topP = "top_p"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case responseFormat = "response_format"
        case streamOptions = "stream_options"
    }
}
