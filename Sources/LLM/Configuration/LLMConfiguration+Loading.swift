import Contracts
import Foundation
import ProviderHTTP

extension LLMConfiguration {
    /// Reads the providers JSON from the file named by `MEMGRID_LLM_PROVIDERS_FILE` or
    /// inline from `MEMGRID_LLM_PROVIDERS`; neither set gives the empty (offline)
    /// configuration. API keys come from the environment variables or files the JSON names;
    /// without `secrets` they are not read (the gateway lists models, it never calls one).
    public static func load(environment: [String: String], secrets: Bool = true) throws -> LLMConfiguration {
        let file = environment["MEMGRID_LLM_PROVIDERS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let inline = environment["MEMGRID_LLM_PROVIDERS"].flatMap { $0.isEmpty ? nil : $0 }
        switch (file, inline) {
        case (nil, nil):
            return LLMConfiguration()
        case (let path?, nil):
            let json: Data
            do {
                json = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw Error(.unreadableFile, "MEMGRID_LLM_PROVIDERS_FILE", "cannot read \(path)")
            }
            return try parse(json, source: "MEMGRID_LLM_PROVIDERS_FILE", environment: environment, secrets: secrets)
        case (nil, let json?):
            return try parse(Data(json.utf8), source: "MEMGRID_LLM_PROVIDERS", environment: environment, secrets: secrets)
        case (.some, .some):
            throw Error(.invalidValue, "MEMGRID_LLM_PROVIDERS", "set MEMGRID_LLM_PROVIDERS_FILE or MEMGRID_LLM_PROVIDERS, not both")
        }
    }

    /// The providers JSON; `source` names where it came from in errors about the whole document.
    static func parse(_ json: Data, source: String, environment: [String: String], secrets: Bool = true) throws -> LLMConfiguration {
        let decoder = JSONDecoder()
        guard let document = try? decoder.decode(JSONValue.self, from: json) else {
            throw Error(.invalidValue, source, "not valid JSON")
        }
        try FileFormat.rejectUnknownKeys(in: document)
        let file: FileFormat
        do {
            file = try decoder.decode(FileFormat.self, from: json)
        } catch let error as DecodingError {
            throw Error(decoding: error, source: source)
        }
        return try file.validated(environment: environment, secrets: secrets)
    }
}

extension LLMConfiguration.Error {
    /// Names the JSON path the decoder stopped at, e.g. `providers[0].rpm`.
    fileprivate init(decoding error: DecodingError, source: String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce(into: "") { path, key in
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += path.isEmpty ? key.stringValue : "." + key.stringValue
                }
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(.invalidValue, path(context.codingPath), "expected \(FileFormat.typeName(type))")
        case .valueNotFound(let type, let context):
            self.init(.invalidValue, path(context.codingPath), "expected \(FileFormat.typeName(type)), got null")
        case .keyNotFound(let key, let context):
            self.init(.invalidValue, path(context.codingPath + [key]), "required")
        case .dataCorrupted(let context):
            self.init(.invalidValue, context.codingPath.isEmpty ? source : path(context.codingPath), context.debugDescription)
        @unknown default:
            self.init(.invalidValue, source, "\(error)")
        }
    }
}

/// The providers JSON as written; `validated` turns it into a configuration.
private struct FileFormat: Decodable {
    var defaultModel: String?
    var maxAdmissionWaitMs: Int?
    var maxAttempts: Int?
    var retryBaseDelayMs: Int?
    var retryMaxDelayMs: Int?
    var providers: [Provider]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case providers
        case defaultModel = "default_model"
        case maxAdmissionWaitMs = "max_admission_wait_ms"
        case maxAttempts = "max_attempts"
        case retryBaseDelayMs = "retry_base_delay_ms"
        case retryMaxDelayMs = "retry_max_delay_ms"
    }

    struct Provider: Decodable {
        var name: String
        var baseURL: String
        var apiKeyEnv: String?
        var apiKeyFile: String?
        var rpm: Int?
        var tpm: Int?
        var maxConcurrency: Int?
        var timeoutMs: Int?
        var models: [Model]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, rpm, tpm, models
            case baseURL = "base_url"
            case apiKeyEnv = "api_key_env"
            case apiKeyFile = "api_key_file"
            case maxConcurrency = "max_concurrency"
            case timeoutMs = "timeout_ms"
        }
    }

    struct Model: Decodable {
        var name: String
        var inputPerMillion: Double
        var outputPerMillion: Double
        var cachedInputPerMillion: Double?
        var fallbacks: [String]?
        var maxOutputTokens: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, fallbacks
            case maxOutputTokens = "max_output_tokens"
            case inputPerMillion = "input_per_million"
            case outputPerMillion = "output_per_million"
            case cachedInputPerMillion = "cached_input_per_million"
        }
    }

    typealias Error = LLMConfiguration.Error

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        default: "\(type)"
        }
    }

    /// Synthesized decoding skips keys it does not know; in money settings a typo must fail.
    static func rejectUnknownKeys(in document: JSONValue) throws {
        func check<Keys: CodingKey & CaseIterable>(_ value: JSONValue, _: Keys.Type, at path: String) throws -> [String: JSONValue] {
            guard case .object(let object) = value else { return [:] }
            let known = Set(Keys.allCases.map(\.stringValue))
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw Error(
                    .unknownKey, path.isEmpty ? unknown : "\(path).\(unknown)",
                    "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
            }
            return object
        }
        let top = try check(document, CodingKeys.self, at: "")
        guard case .array(let providers)? = top["providers"] else { return }
        for (providerIndex, provider) in providers.enumerated() {
            let path = "providers[\(providerIndex)]"
            guard case .array(let models)? = try check(provider, Provider.CodingKeys.self, at: path)["models"] else { continue }
            for (modelIndex, model) in models.enumerated() {
                _ = try check(model, Model.CodingKeys.self, at: "\(path).models[\(modelIndex)]")
            }
        }
    }

    func validated(environment: [String: String], secrets: Bool) throws -> LLMConfiguration {
        guard !providers.isEmpty else {
            throw Error(.invalidValue, "providers", "lists no provider; unset the variable for the offline mode instead")
        }
        var names: Set<String> = []
        let configured = try providers.enumerated().map { index, provider in
            let path = "providers[\(index)]"
            guard names.insert(provider.name).inserted else {
                throw Error(.invalidValue, "\(path).name", "provider \"\(provider.name)\" is listed twice")
            }
            return try provider.validated(at: path, environment: environment, secrets: secrets)
        }
        let served = Set(configured.flatMap { $0.models.map(\.name) })
        for (providerIndex, provider) in providers.enumerated() {
            for (modelIndex, model) in provider.models.enumerated() {
                for (fallbackIndex, fallback) in (model.fallbacks ?? []).enumerated() where !served.contains(fallback) {
                    throw Error(
                        .invalidValue, "providers[\(providerIndex)].models[\(modelIndex)].fallbacks[\(fallbackIndex)]",
                        "no provider serves model \"\(fallback)\"")
                }
            }
        }
        if let defaultModel, !served.contains(defaultModel) {
            throw Error(.invalidValue, "default_model", "no provider serves model \"\(defaultModel)\"")
        }
        let defaults = LLMConfiguration()
        let maxAttempts = try Self.atLeast(1, maxAttempts, "max_attempts") ?? defaults.retry.maxAttempts
        let baseDelay = try Self.atLeast(0, retryBaseDelayMs, "retry_base_delay_ms").map { Duration.milliseconds($0) }
        let maxDelay = try Self.atLeast(0, retryMaxDelayMs, "retry_max_delay_ms").map { Duration.milliseconds($0) }
        let admissionWait = try Self.atLeast(0, maxAdmissionWaitMs, "max_admission_wait_ms").map { Duration.milliseconds($0) }
        return LLMConfiguration(
            providers: configured, defaultModel: defaultModel,
            retry: ProviderRetry(
                maxAttempts: maxAttempts, baseDelay: baseDelay ?? defaults.retry.baseDelay, maxDelay: maxDelay ?? defaults.retry.maxDelay),
            maxAdmissionWait: admissionWait ?? defaults.maxAdmissionWait)
    }

    static func atLeast(_ minimum: Int, _ value: Int?, _ field: String) throws -> Int? {
        if let value, value < minimum { throw Error(.invalidValue, field, "must be at least \(minimum)") }
        return value
    }
}

extension FileFormat.Provider {
    func validated(at path: String, environment: [String: String], secrets: Bool) throws -> ProviderConfiguration {
        guard !name.isEmpty else { throw Error(.invalidValue, "\(path).name", "must not be empty") }
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased()), url.host?.isEmpty == false else {
            throw Error(.invalidValue, "\(path).base_url", "must be an http(s) URL such as https://api.deepseek.com/v1")
        }
        guard !models.isEmpty else { throw Error(.invalidValue, "\(path).models", "lists no model") }
        var modelNames: Set<String> = []
        let configuredModels = try models.enumerated().map { index, model in
            let modelPath = "\(path).models[\(index)]"
            guard !model.name.isEmpty else { throw Error(.invalidValue, "\(modelPath).name", "must not be empty") }
            guard modelNames.insert(model.name).inserted else {
                throw Error(.invalidValue, "\(modelPath).name", "model \"\(model.name)\" is listed twice")
            }
            return try model.validated(at: modelPath)
        }
        var trimmedURL = baseURL
        while trimmedURL.hasSuffix("/") { trimmedURL.removeLast() }   // paths are appended with their own "/"
        let defaults = ProviderConfiguration(name: name, baseURL: trimmedURL, models: [])
        return ProviderConfiguration(
            name: name, baseURL: trimmedURL,
            apiKey: secrets ? try apiKey(at: path, environment: environment) : nil,
            rpm: try FileFormat.atLeast(1, rpm, "\(path).rpm"),
            tpm: try FileFormat.atLeast(1, tpm, "\(path).tpm"),
            maxConcurrency: try FileFormat.atLeast(1, maxConcurrency, "\(path).max_concurrency") ?? defaults.maxConcurrency,
            timeout: try FileFormat.atLeast(1, timeoutMs, "\(path).timeout_ms").map { .milliseconds($0) } ?? defaults.timeout,
            models: configuredModels)
    }

    /// From the named environment variable or file; neither named means no key (local servers).
    private func apiKey(at path: String, environment: [String: String]) throws -> String? {
        switch (apiKeyEnv, apiKeyFile) {
        case (nil, nil):
            return nil
        case (let variable?, nil):
            guard let key = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
                throw FileFormat.Error(
                    .missingSecret, "\(path).api_key_env", "provider \"\(name)\": environment variable \(variable) is not set or empty")
            }
            return key
        case (nil, let file?):
            let contents: String
            do {
                contents = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw FileFormat.Error(.unreadableFile, "\(path).api_key_file", "provider \"\(name)\": cannot read \(file)")
            }
            let key = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else {
                throw FileFormat.Error(.missingSecret, "\(path).api_key_file", "provider \"\(name)\": \(file) is empty")
            }
            return key
        case (.some, .some):
            throw FileFormat.Error(.invalidValue, "\(path).api_key_env", "set api_key_env or api_key_file, not both")
        }
    }

    private typealias Error = LLMConfiguration.Error
}

extension FileFormat.Model {
    func validated(at path: String) throws -> ProviderConfiguration.Model {
        func price(_ value: Double, _ key: String) throws -> Double {
            guard value.isFinite, value >= 0 else { throw LLMConfiguration.Error(.invalidValue, "\(path).\(key)", "must be a price ≥ 0") }
            return value
        }
        return ProviderConfiguration.Model(
            name: name,
            price: ModelPrice(
                inputPerMillion: try price(inputPerMillion, "input_per_million"),
                outputPerMillion: try price(outputPerMillion, "output_per_million"),
                cachedInputPerMillion: try cachedInputPerMillion.map { try price($0, "cached_input_per_million") }),
            fallbacks: fallbacks ?? [],
            maxOutputTokens: try maxOutputTokens.map { tokens in
                guard (1...10_000_000).contains(tokens) else {
                    throw LLMConfiguration.Error(.invalidValue, "\(path).max_output_tokens", "must be 1 to 10000000")
                }
                return tokens
            } ?? ProviderConfiguration.Model.defaultMaxOutputTokens)
    }
}
