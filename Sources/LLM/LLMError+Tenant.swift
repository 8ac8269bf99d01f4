extension LLMError {
    /// What a tenant may read about the failure (chat errors, dead-letter reasons).
    /// Providers' texts can hold a masked key (OpenAI's 401), hosts or account details,
    /// so they stay in the worker's log and the tenant gets memgrid's words.
    public var tenantMessage: String {
        switch code {
        case .rejected where status == nil:
            message  // memgrid's own refusal, e.g. a max_tokens above the model's
        case .rejected:
            switch status {
            case 401?, 403?:
                "the model provider refused memgrid's credentials for it; the operator must fix the provider configuration"
            case 404?:
                "the model provider does not serve this model"
            case 413?:
                "the request is too large for the model provider"
            default:
                "the model provider rejected the request\(status.map { " (HTTP \($0))" } ?? ""); check its parameters (max_tokens, messages)"
            }
        case .unknownModel, .noProvider:
            message  // memgrid's own words, naming the model asked for
        case .capacityTimeout:
            "the model provider's rate limit has no room now; retry later"
        case .timeout:
            "the model provider did not answer in time; retry later"
        default:
            "the model provider is unavailable or answered badly; retry later"
        }
    }
}
