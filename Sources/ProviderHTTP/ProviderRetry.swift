public import Foundation

/// The retry policy every remote provider call shares (LLM chat, remote embeddings):
/// which failures are worth another try, and how long to wait before it.
public struct ProviderRetry: Sendable, Hashable {
    /// Attempts per provider, including the first.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// 408, 429 and 5xx may succeed later; any other 4xx is the request's fault.
    public static func isRetryable(status: some BinaryInteger) -> Bool {
        status == 408 || status == 429 || status >= 500
    }

    /// The wait after failed attempt `attempt` (1-based): exponential backoff with ±25 %
    /// jitter, capped at `maxDelay`, but never shorter than the provider's `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        let exponent = Double(1 << min(max(attempt - 1, 0), 30))
        let backoff = min(baseDelay * exponent, maxDelay) * Double.random(in: 0.75...1.25)
        guard let retryAfter else { return backoff }
        return max(retryAfter, backoff)
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String) -> Duration? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }

    /// The `error.message` of an OpenAI-style error body, if it is one.
    public static func errorMessage(in body: Data) -> String? {
        struct ErrorBody: Decodable {
            struct Detail: Decodable { var message: String? }
            var error: Detail?
        }
        return (try? JSONDecoder().decode(ErrorBody.self, from: body))?.error?.message
    }
}
