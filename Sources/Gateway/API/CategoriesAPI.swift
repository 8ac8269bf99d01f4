import Foundation
import Hummingbird
import Storage

/// `GET /v1/users/{user_id}/categories`: the user's memory categories with their
/// summaries (written by the proactive agent's debounced `summarize.v1` jobs) and the
/// items each summary was written from.
struct CategoriesAPI: Sendable {
    struct CategoryView: Encodable {
        var object = "memory_category"
        var name: String
        var summary: String?
        var summaryItemIDs: [String]
        var itemCount: Int
        var updatedAt: Date?

        init(_ category: CategoryRepository.Category) {
            name = category.name
            summary = category.summary
            summaryItemIDs = category.summaryItemIDs
            itemCount = category.itemCount
            updatedAt = category.updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case object, name, summary
            case summaryItemIDs = "summary_item_ids"
            case itemCount = "item_count"
            case updatedAt = "updated_at"
        }
    }

    let reads: ReadReplicas

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/users/{user_id}/categories", use: list)
    }

    func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID()
        let userID = try context.parameters.require("user_id")
        try IDRules.check(userID, param: "user_id")
        let found = try await reads.read { try await CategoryRepository(client: $0).list(tenantID: tenantID, userID: userID, logger: context.logger) }
        return try .json(ListBody(data: found.map(CategoryView.init)))
    }
}
