import Contracts
import Foundation
import LLM
import Memory
import Storage
import WorkerRuntime

/// `summarize.v1`: rewrites each named category's summary from the user's items in it,
/// with the LLM when a provider is configured, offline otherwise (docs/proactive.md).
/// Idempotent: a redelivered job writes the same summaries again.
struct SummarizeJobHandler: JobHandler {
    /// Items a summary is written from: the most reinforced.
    static let maxItems = 50

    enum Writer: Sendable {
        case offline
        case llm(router: ChatRouter, model: String, metering: LLMMetering)
    }

    let type = JobCatalog.summarize
    let categories: CategoryRepository
    let writer: Writer

    func handle(_ job: JobEnvelope<SummarizeJob>, context: JobContext) async throws {
        let user = job.payload.userID
        for category in job.payload.categories {
            let items = try await StorageFailure.classifying {
                try await categories.items(
                    tenantID: job.tenantID, userID: user, category: category, limit: Self.maxItems, logger: context.logger)
            }.map { CategorySummary.Item(id: $0.id, text: $0.text, statedAt: $0.validFrom) }
            let (summary, used) = items.isEmpty ? (nil, []) : try await write(category: category, items: items, job: job)
            try await StorageFailure.classifying {
                try await categories.setSummary(
                    tenantID: job.tenantID, userID: user, category: category, summary: summary, itemIDs: used,
                    logger: context.logger)
            }
        }
    }

    private func write(
        category: String, items: [CategorySummary.Item], job: JobEnvelope<SummarizeJob>
    ) async throws -> (String?, [String]) {
        switch writer {
        case .offline:
            let (summary, used) = CategorySummary.offline(items)
            return (summary, used)
        case .llm(let router, let model, let metering):
            let request = ChatRequest(model: model, messages: CategorySummary.messages(category: category, items: items), temperature: 0.2)
            let routed = try await metering.complete(
                request, router: router, tenantID: job.tenantID, jobID: job.id, purpose: "summarize")
            let summary = routed.completion.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !summary.isEmpty else { throw JobFailure.retryable("the model answered an empty summary") }
            return (summary, items.map(\.id))
        }
    }
}
