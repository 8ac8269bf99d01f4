public import Contracts
import Tracing

extension ChatClient {
    /// One provider call as a client span with the GenAI semantic conventions: the
    /// provider, requested and answering model, token counts and finish reasons. Never
    /// the prompt or the answer.
    func traced(_ request: ChatRequest, _ call: () async throws -> ChatCompletion) async throws -> ChatCompletion {
        try await Telemetry.withSpan("chat \(request.model)", kind: .client) { span in
            guard let span else { return try await call() }
            span.attributes["gen_ai.operation.name"] = "chat"
            span.attributes["gen_ai.provider.name"] = provider.name
            span.attributes["gen_ai.request.model"] = request.model
            if let cap = request.completionTokenCap { span.attributes["gen_ai.request.max_tokens"] = cap }
            if let temperature = request.temperature { span.attributes["gen_ai.request.temperature"] = temperature }
            let completion = try await call()
            span.attributes["gen_ai.response.id"] = completion.id
            span.attributes["gen_ai.response.model"] = completion.model
            span.attributes["gen_ai.response.finish_reasons"] = completion.choices.map { $0.finishReason ?? "" }
            if let usage = completion.usage {
                span.attributes["gen_ai.usage.input_tokens"] = usage.promptTokens
                span.attributes["gen_ai.usage.output_tokens"] = usage.completionTokens
            }
            return completion
        }
    }
}
