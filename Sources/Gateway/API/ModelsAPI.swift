import Foundation
import Hummingbird
import LLM
import Storage

/// `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape: every chat model the
/// configured providers serve (read from the same `MEMGRID_LLM_PROVIDERS` the LLM workers
/// use, keys not needed), the `default` alias when there is one, and the embedding model
/// once an embedding worker has registered it. Answers without any worker running.
struct ModelsAPI: Sendable {
    struct Model: Encodable, Sendable {
        var id: String
        var object = "model"
        var created = 0
        var ownedBy: String

        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }

    let llm: LLMConfiguration
    let space: ActiveSpace

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/models", use: list)
        router.get("/models/{id}", use: show)
    }

    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try context.tenantID()
        return try .json(ListBody(data: try await models(context: context)))
    }

    /// Model ids hold slashes (`sentence-transformers/all-MiniLM-L6-v2`): such an id is
    /// asked for with the slash percent-encoded, as the OpenAI SDKs send it.
    func show(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try context.tenantID()
        let id = try context.parameters.require("id")
        let wanted = id.removingPercentEncoding ?? id
        guard let model = try await models(context: context).first(where: { $0.id == wanted }) else {
            throw APIError.notFound("the model '\(wanted)' does not exist", code: "model_not_found")
        }
        return try .json(model)
    }

    private func models(context: GatewayContext) async throws -> [Model] {
        var models: [Model] = []
        var seen: Set<String> = []
        for provider in llm.providers {
            for model in provider.models where seen.insert(model.name).inserted {
                models.append(Model(id: model.name, ownedBy: provider.name))
            }
        }
        if let first = llm.providers.first?.models.first {
            // Chat accepts `default` for the deployment's default model.
            models.append(Model(id: "default", ownedBy: llm.defaultModel ?? first.name))
        }
        // The embedding model is known once a worker registered it; until then chat
        // models are still listed.
        if let embedding = try? await space.current(logger: context.logger) {
            models.append(Model(id: embedding.model, ownedBy: "memgrid"))
        }
        return models
    }
}
