/// What a check that needs Redis (rate limits, budgets) does while Redis is unreachable:
/// let the request through (`open`: no limit for a while) or refuse it (`closed`: an
/// outage of Redis becomes one of the service). Chosen per deployment and documented in
/// docs/configuration.md.
public enum RedisFailurePolicy: String, Sendable {
    case open, closed
}
