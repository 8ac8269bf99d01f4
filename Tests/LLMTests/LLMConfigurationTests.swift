import Foundation
@testable import LLM
import ProviderHTTP
import Testing

@Suite("LLM provider configuration")
struct LLMConfigurationTests {
    /// The documented example, with the MaaS key file given per test.
    static func example(keyFile: String = "/nonexistent") -> [String: Any] {
        [
            "default_model": "deepseek-chat",
            "max_admission_wait_ms": 30000, "max_attempts": 4, "retry_base_delay_ms": 500, "retry_max_delay_ms": 20000,
            "providers": [
                [
                    "name": "deepseek", "base_url": "https://api.deepseek.com/v1/", "api_key_env": "DEEPSEEK_API_KEY",
                    "rpm": 500, "tpm": 1_000_000, "max_concurrency": 256, "timeout_ms": 60000,
                    "models": [
                        [
                            "name": "deepseek-chat", "input_per_million": 0.27, "output_per_million": 1.10,
                            "cached_input_per_million": 0.07, "fallbacks": ["qwen3-32b"],
                        ],
                    ],
                ],
                [
                    "name": "maas", "base_url": "https://api.modelarts-maas.com/v1", "api_key_file": keyFile,
                    "models": [["name": "qwen3-32b", "input_per_million": 0.3, "output_per_million": 1.2]],
                ],
            ],
        ]
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func keyFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-llm-key-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("neither variable set is the empty, offline configuration")
    func empty() throws {
        let configuration = try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS": ""])
        #expect(configuration.isEmpty)
        #expect(throws: LLMError(.noProvider, "no LLM provider is configured")) { try configuration.chain(for: "default") }
    }

    @Test("inline JSON: keys from an environment variable and a file, limits, retry settings and default prices")
    func inline() throws {
        let path = try keyFile("  maas-secret\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try LLMConfiguration.load(environment: [
            "MEMGRID_LLM_PROVIDERS": Self.json(Self.example(keyFile: path)), "DEEPSEEK_API_KEY": "sk-deepseek",
        ])
        #expect(configuration.providers.map(\.name) == ["deepseek", "maas"])
        let deepseek = configuration.providers[0]
        let maas = configuration.providers[1]
        #expect(deepseek.apiKey == "sk-deepseek")
        #expect(maas.apiKey == "maas-secret")
        #expect(deepseek.baseURL == "https://api.deepseek.com/v1")
        #expect(deepseek.limits == ProviderLimits(provider: "deepseek", rpm: 500, tpm: 1_000_000, maxConcurrency: 256))
        #expect(deepseek.timeout == .seconds(60))
        #expect(maas.limits == ProviderLimits(provider: "maas", rpm: nil, tpm: nil, maxConcurrency: 256))
        #expect(deepseek.models[0].price == ModelPrice(inputPerMillion: 0.27, outputPerMillion: 1.10, cachedInputPerMillion: 0.07))
        #expect(maas.models[0].price.cachedInputPerMillion == 0.3)
        #expect(configuration.retry.maxAttempts == 4)
        #expect(configuration.retry.baseDelay == .milliseconds(500))
        #expect(configuration.retry.maxDelay == .seconds(20))
        #expect(configuration.maxAdmissionWait == .seconds(30))
        #expect(!"\(deepseek)".contains("sk-deepseek"))
    }

    @Test("a providers file, and a provider without a key (local server)")
    func file() throws {
        var object = Self.example()
        var providers = object["providers"] as! [[String: Any]]
        providers[1]["api_key_file"] = nil
        object["providers"] = providers
        let path = try keyFile(Self.json(object))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try LLMConfiguration.load(environment: [
            "MEMGRID_LLM_PROVIDERS_FILE": path, "DEEPSEEK_API_KEY": "sk-deepseek",
        ])
        #expect(configuration.providers.count == 2)
        #expect(configuration.providers[1].apiKey == nil)
    }

    @Test("the chain: every provider of the model in order, then its fallbacks, without repeats")
    func chain() throws {
        func provider(_ name: String, _ models: [(String, [String])]) -> ProviderConfiguration {
            ProviderConfiguration(
                name: name, baseURL: "http://\(name)/v1",
                models: models.map { .init(name: $0.0, price: ModelPrice(inputPerMillion: 1, outputPerMillion: 1), fallbacks: $0.1) })
        }
        let configuration = LLMConfiguration(providers: [
            provider("a", [("big", ["small", "big"]), ("small", [])]),
            provider("b", [("big", ["small"])]),
            provider("c", [("small", [])]),
        ])
        let names = { (model: String) in try configuration.chain(for: model).map(\.description) }
        #expect(try names("big") == ["a/big", "b/big", "a/small", "c/small"])
        #expect(try names("small") == ["a/small", "c/small"])
        #expect(try names("") == names("big"))
        #expect(try names("default") == names("big"))
        var withDefault = configuration
        withDefault.defaultModel = "small"
        #expect(try withDefault.chain(for: "").map(\.description) == ["a/small", "c/small"])
        let error = #expect(throws: LLMError.self) { try configuration.chain(for: "huge") }
        #expect(error?.code == .unknownModel)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var field: String
        var code: LLMConfiguration.Error.Code
        var change: @Sendable (inout [String: Any]) -> Void
        var environment: [String: String] = ["DEEPSEEK_API_KEY": "sk-deepseek"]
        var testDescription: String { "\(field) (\(code))" }
    }

    static func provider(_ index: Int, _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable (inout [String: Any]) -> Void {
        { object in
            var providers = object["providers"] as! [[String: Any]]
            change(&providers[index])
            object["providers"] = providers
        }
    }

    static func model(_ index: Int, of provider: Int, _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable (inout [String: Any]) -> Void {
        self.provider(provider) { object in
            var models = object["models"] as! [[String: Any]]
            change(&models[index])
            object["models"] = models
        }
    }

    static let invalid: [Invalid] = [
        Invalid(field: "max_attempt", code: .unknownKey) { $0["max_attempt"] = 3 },
        Invalid(field: "providers[0].api_key_envv", code: .unknownKey, change: provider(0) { $0["api_key_envv"] = "X" }),
        Invalid(field: "providers[1].models[0].input_per_milion", code: .unknownKey, change: model(0, of: 1) { $0["input_per_milion"] = 1 }),
        Invalid(field: "providers[1].name", code: .invalidValue, change: provider(1) { $0["name"] = "deepseek" }),
        Invalid(field: "providers[0].name", code: .invalidValue, change: provider(0) { $0["name"] = nil }),
        Invalid(field: "providers[0].models", code: .invalidValue, change: provider(0) { $0["models"] = [Any]() }),
        Invalid(field: "providers[0].base_url", code: .invalidValue, change: provider(0) { $0["base_url"] = "api.deepseek.com/v1" }),
        Invalid(field: "providers[0].rpm", code: .invalidValue, change: provider(0) { $0["rpm"] = "500" }),
        Invalid(field: "providers[0].timeout_ms", code: .invalidValue, change: provider(0) { $0["timeout_ms"] = 0 }),
        Invalid(field: "providers[1].models[0].input_per_million", code: .invalidValue, change: model(0, of: 1) { $0["input_per_million"] = -0.3 }),
        Invalid(field: "providers[0].models[0].cached_input_per_million", code: .invalidValue, change: model(0, of: 0) { $0["cached_input_per_million"] = -1 }),
        Invalid(field: "providers[0].models[0].output_per_million", code: .invalidValue, change: model(0, of: 0) { $0["output_per_million"] = nil }),
        Invalid(field: "providers[0].models[0].fallbacks[0]", code: .invalidValue, change: model(0, of: 0) { $0["fallbacks"] = ["qwen-max"] }),
        Invalid(field: "default_model", code: .invalidValue) { $0["default_model"] = "gpt-9" },
        Invalid(field: "max_attempts", code: .invalidValue) { $0["max_attempts"] = 0 },
        Invalid(field: "providers", code: .invalidValue) { $0["providers"] = [Any]() },
        Invalid(field: "providers[0].api_key_env", code: .missingSecret, change: { _ in }, environment: [:]),
        Invalid(field: "providers[0].api_key_env", code: .missingSecret, change: { _ in }, environment: ["DEEPSEEK_API_KEY": " "]),
        Invalid(field: "providers[1].api_key_file", code: .unreadableFile, change: provider(1) { $0["api_key_file"] = "/nonexistent" }),
        Invalid(field: "providers[0].api_key_env", code: .invalidValue, change: provider(0) { $0["api_key_file"] = "/k" }),
    ]

    @Test("every invalid setting is refused, naming its field", arguments: invalid)
    func refused(_ invalid: Invalid) throws {
        let path = try keyFile("maas-secret")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var object = Self.example(keyFile: path)
        invalid.change(&object)
        let error = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: invalid.environment.merging(["MEMGRID_LLM_PROVIDERS": Self.json(object)]) { $1 })
        }
        #expect(error?.field == invalid.field)
        #expect(error?.code == invalid.code)
    }

    @Test("errors name the provider and variable, never the key")
    func messages() throws {
        let missing = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS": Self.json(Self.example())])
        }
        #expect(missing?.message.contains("deepseek") == true)
        #expect(missing?.message.contains("DEEPSEEK_API_KEY") == true)
        let unreadable = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS": Self.json(Self.example()), "DEEPSEEK_API_KEY": "sk-secret"])
        }
        #expect(unreadable?.message.contains("maas") == true)
        #expect(unreadable.map { "\($0)".contains("sk-secret") } == false)
    }

    @Test("not JSON, an unreadable file, or both variables at once")
    func sources() {
        let notJSON = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS": "{providers: []"])
        }
        #expect(notJSON?.field == "MEMGRID_LLM_PROVIDERS")
        let noFile = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS_FILE": "/nonexistent/providers.json"])
        }
        #expect(noFile?.code == .unreadableFile)
        let both = #expect(throws: LLMConfiguration.Error.self) {
            try LLMConfiguration.load(environment: ["MEMGRID_LLM_PROVIDERS_FILE": "/p.json", "MEMGRID_LLM_PROVIDERS": "{}"])
        }
        #expect(both?.code == .invalidValue)
    }
}
