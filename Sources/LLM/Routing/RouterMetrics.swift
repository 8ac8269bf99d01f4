import CoreMetrics
import Metrics

/// `ChatRouter`'s metrics, created once for every configured provider and model;
/// labels are provider, model, outcome and token kind, never per-call values.
struct RouterMetrics: Sendable {
    private struct Key: Hashable {
        var provider: String
        var model: String
    }

    private struct Deployment: Sendable {
        let calls: [CallRecord.Outcome: Counter]
        let promptTokens: Counter
        let completionTokens: Counter
        let cachedTokens: Counter
        let cost: FloatingPointCounter
        let duration: Metrics.Timer
    }

    private let deployments: [Key: Deployment]

    init(configuration: LLMConfiguration, factory: any MetricsFactory) {
        var deployments: [Key: Deployment] = [:]
        for provider in configuration.providers {
            let duration = Metrics.Timer(
                label: "memgrid_llm_call_duration_seconds", dimensions: [("provider", provider.name)],
                preferredDisplayUnit: .seconds, factory: factory)
            for model in provider.models {
                let labels = [("provider", provider.name), ("model", model.name)]
                func tokens(_ kind: String) -> Counter {
                    Counter(label: "memgrid_llm_tokens_total", dimensions: labels + [("kind", kind)], factory: factory)
                }
                deployments[Key(provider: provider.name, model: model.name)] = Deployment(
                    calls: Dictionary(uniqueKeysWithValues: CallRecord.Outcome.all.map { outcome in
                        (outcome, Counter(label: "memgrid_llm_calls_total", dimensions: labels + [("outcome", outcome.rawValue)], factory: factory))
                    }),
                    promptTokens: tokens("prompt"), completionTokens: tokens("completion"), cachedTokens: tokens("cached"),
                    cost: FloatingPointCounter(label: "memgrid_llm_cost_usd_total", dimensions: labels, factory: factory),
                    duration: duration)
            }
        }
        self.deployments = deployments
    }

    func record(_ call: CallRecord) {
        guard let metrics = deployments[Key(provider: call.provider, model: call.model)] else { return }
        metrics.calls[call.outcome]?.increment()
        metrics.duration.record(duration: call.latency)
        if call.promptTokens > 0 { metrics.promptTokens.increment(by: call.promptTokens) }
        if call.completionTokens > 0 { metrics.completionTokens.increment(by: call.completionTokens) }
        if call.cachedTokens > 0 { metrics.cachedTokens.increment(by: call.cachedTokens) }
        if call.costUSD > 0 { metrics.cost.increment(by: call.costUSD) }
    }
}
