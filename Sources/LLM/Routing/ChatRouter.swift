public import AsyncHTTPClient
public import Contracts
public import CoreMetrics
public import Logging
import ProviderHTTP
import Synchronization

/// Sends each chat call along its model's chain of deployments: every attempt first
/// takes a permit from the rate limiter; retryable failures are retried with backoff
/// (honouring `Retry-After`) up to the attempt limit, then the next deployment is tried;
/// a rejected request fails at once. Every attempt is metered, logged and counted.
///
/// When the chain is used up the last failure is thrown, a timeout as `unavailable`;
/// `capacityTimeout` when no deployment had rate-limit capacity at all.
public final class ChatRouter: Sendable {
    public let configuration: LLMConfiguration
    /// By provider name; built once, so a call allocates no client.
    private let clients: [String: ChatClient]
    private let admission: any CallAdmission
    private let metrics: RouterMetrics
    private let logger: Logger

    public init(
        configuration: LLMConfiguration, httpClient: HTTPClient, admission: any CallAdmission, logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.clients = Dictionary(
            configuration.providers.map { ($0.name, ChatClient(provider: $0, httpClient: httpClient)) },
            uniquingKeysWith: { first, _ in first })
        self.admission = admission
        self.metrics = RouterMetrics(configuration: configuration, factory: metricsFactory)
        self.logger = logger
    }

    /// Readies every provider's rate limits for its first calls (`CallAdmission.prime`).
    public func prime() async {
        for provider in configuration.providers { await admission.prime(provider.limits) }
    }

    /// The whole answer from the first deployment that gives one. `meter` sees every attempt.
    public func complete(
        _ request: ChatRequest, meter: @escaping @Sendable (CallRecord) async -> Void
    ) async throws -> RoutedCompletion {
        try await route(request, meter: meter, mayRetry: { true }) { client, request in
            try await client.complete(request)
        }
    }

    /// Streams the answer to `onChunk` (each chunk's `model` set to the deployment's).
    /// Retries and fallback happen only until the first chunk went out; a later failure
    /// is thrown as it is, since the caller already has part of an answer.
    public func stream(
        _ request: ChatRequest, meter: @escaping @Sendable (CallRecord) async -> Void,
        onChunk: @Sendable (ChatChunk) async throws -> Void
    ) async throws -> RoutedCompletion {
        let delivered = Atomic<Bool>(false)
        return try await route(request, meter: meter, mayRetry: { !delivered.load(ordering: .relaxed) }) { client, request in
            try await client.stream(request) { chunk in
                var chunk = chunk
                chunk.model = request.model
                delivered.store(true, ordering: .relaxed)
                try await onChunk(chunk)
            }
        }
    }

    private func route(
        _ request: ChatRequest, meter: @Sendable (CallRecord) async -> Void, mayRetry: () -> Bool,
        call: (ChatClient, ChatRequest) async throws -> ChatCompletion
    ) async throws -> RoutedCompletion {
        let chain = try configuration.chain(for: request.model)
        let estimate = Self.estimatedTokens(request)
        var attempts = 0
        var providerTime = Duration.zero
        var lastFailure: LLMError?
        for deployment in chain {
            let client = clients[deployment.provider.name]!   // chain(for:) only names configured providers
            var sent = request
            sent.model = deployment.model
            for attempt in 1...configuration.retry.maxAttempts {
                let permit: CallPermit
                do {
                    permit = try await admission.admit(
                        deployment.provider.limits, tokens: estimate, maxWait: configuration.maxAdmissionWait)
                } catch let error as LLMError where error.code == .capacityTimeout {
                    logger.info("no rate-limit capacity; trying the next provider", metadata: [
                        "llm.provider": "\(deployment.provider.name)", "llm.model": "\(deployment.model)",
                    ])
                    break
                }
                attempts += 1
                let start = ContinuousClock.now
                let result: Result<ChatCompletion, any Error>
                do {
                    result = .success(try await call(client, sent))
                } catch {
                    result = .failure(error)
                }
                let latency = ContinuousClock.now - start
                providerTime += latency
                switch result {
                case .success(var completion):
                    await permit.finish(actualTokens: completion.usage?.totalTokens)
                    completion.model = deployment.model
                    let usage = completion.usage
                    await account(
                        CallRecord(
                            provider: deployment.provider.name, model: deployment.model,
                            promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0,
                            cachedTokens: usage?.cachedTokens ?? 0, costUSD: usage.map(deployment.price.cost) ?? 0,
                            latency: latency, outcome: .ok, status: 200),
                        attempt: attempt, error: nil, meter: meter)
                    return RoutedCompletion(
                        completion: completion, provider: deployment.provider.name, model: deployment.model,
                        attempts: attempts, providerTime: providerTime)
                case .failure(let error):
                    await permit.finish(actualTokens: nil)
                    let failure = error as? LLMError
                    await account(
                        CallRecord(
                            provider: deployment.provider.name, model: deployment.model, latency: latency,
                            outcome: CallRecord.Outcome(error), status: failure?.status),
                        attempt: attempt, error: error, meter: meter)
                    guard let failure, failure.isRetryable, mayRetry() else { throw error }
                    lastFailure = failure
                    if attempt < configuration.retry.maxAttempts {
                        try await Task.sleep(for: configuration.retry.delay(afterAttempt: attempt, retryAfter: failure.retryAfter))
                    }
                }
            }
        }
        guard let lastFailure else {
            throw LLMError(
                .capacityTimeout,
                "no rate-limit capacity at \(chain.map(\.provider.name).joined(separator: ", ")) within \(configuration.maxAdmissionWait)")
        }
        throw LLMError(
            lastFailure.code == .timeout ? .unavailable : lastFailure.code,
            "\(attempts) attempts failed; last: \(lastFailure.message)", status: lastFailure.status, retryAfter: lastFailure.retryAfter)
    }

    /// Metrics, log line and the caller's meter for one attempt.
    private func account(_ record: CallRecord, attempt: Int, error: (any Error)?, meter: @Sendable (CallRecord) async -> Void) async {
        metrics.record(record)
        if let error {
            logger.info("LLM call failed", metadata: [
                "llm.provider": "\(record.provider)", "llm.model": "\(record.model)", "llm.attempt": "\(attempt)",
                "llm.outcome": "\(record.outcome)", "http.status": "\(record.status.map(String.init) ?? "none")",
                "llm.latency": "\(record.latency)", "error": "\(error)",
            ])
        } else {
            logger.debug("LLM call", metadata: [
                "llm.provider": "\(record.provider)", "llm.model": "\(record.model)", "llm.attempt": "\(attempt)",
                "http.status": "\(record.status.map(String.init) ?? "none")", "llm.latency": "\(record.latency)",
            ])
        }
        await meter(record)
    }

    /// What the rate limiter charges before the provider reports usage: about four
    /// bytes a token for the prompt, plus the completion cap.
    static func estimatedTokens(_ request: ChatRequest) -> Int {
        request.messages.reduce(0) { $0 + $1.text.utf8.count / 4 + 4 } + (request.completionTokenCap ?? 512) * request.choiceCount
    }
}
