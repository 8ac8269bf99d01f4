public import ProviderHTTP

extension EgressPolicy {
    /// The webhook policy from `MEMGRID_WEBHOOK_ALLOWED_HOSTS` (comma-separated host names
    /// and networks) and `MEMGRID_WEBHOOK_ALLOW_HTTP`. The gateway checks a URL with it
    /// when a tenant sets it, the proactive worker again before each delivery.
    public init(webhooksFrom environment: EnvironmentReader) throws {
        let key = "MEMGRID_WEBHOOK_ALLOWED_HOSTS"
        do {
            try self.init(
                allowed: environment.string(key, default: "").split(separator: ",").map(String.init),
                allowHTTP: environment.bool("MEMGRID_WEBHOOK_ALLOW_HTTP", default: false))
        } catch let refusal as EgressRefusal {
            throw EnvironmentReader.Error(key: key, message: refusal.reason)
        }
    }
}
