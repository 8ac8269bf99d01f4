public import Foundation
public import Logging
public import PostgresNIO

/// Metering of LLM calls: one row per call, written on the worker's hot path, read back
/// as sums per UTC day, provider and model.
public struct UsageRepository: Sendable {
    /// One LLM call, as the caller saw it.
    public struct Call: Sendable, Equatable {
        public var tenantID: String
        /// The memorize job or chat request the call served.
        public var jobID: String?
        /// What the call was for: `chat`, `memorize`, …
        public var purpose: String
        public var provider: String
        public var model: String
        public var promptTokens: Int
        public var completionTokens: Int
        /// Prompt tokens the provider served from its cache (a subset of `promptTokens`).
        public var cachedTokens: Int
        /// Prompt tokens of memories memgrid injected (memory-aware chat; a subset of `promptTokens`).
        public var memoryTokens: Int
        public var costUSD: Double
        public var latencyMilliseconds: Int
        /// `ok`, or why the call failed: `rate_limited`, `server_error`, `timeout`,
        /// `transport_error`, `rejected`, `invalid_response`, `stream_failed`.
        public var outcome: String
        public var httpStatus: Int?
        /// When the call ended: a buffered call is stored later, but counts in the day (and
        /// budget period) it was made in.
        public var createdAt: Date

        public init(
            tenantID: String, jobID: String?, purpose: String, provider: String, model: String,
            promptTokens: Int, completionTokens: Int, cachedTokens: Int, memoryTokens: Int = 0, costUSD: Double,
            latencyMilliseconds: Int, outcome: String, httpStatus: Int?, createdAt: Date = Date()
        ) {
            self.tenantID = tenantID
            self.jobID = jobID
            self.purpose = purpose
            self.provider = provider
            self.model = model
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.cachedTokens = cachedTokens
            self.memoryTokens = memoryTokens
            self.costUSD = costUSD
            self.latencyMilliseconds = latencyMilliseconds
            self.outcome = outcome
            self.httpStatus = httpStatus
            self.createdAt = createdAt
        }
    }

    /// Sums over a set of calls. Encodes with the API's snake_case keys.
    public struct Totals: Sendable, Equatable, Encodable {
        public var calls = 0
        /// Calls whose outcome was not `ok`.
        public var failedCalls = 0
        public var promptTokens = 0
        public var completionTokens = 0
        public var cachedTokens = 0
        public var memoryTokens = 0
        public var costUSD = 0.0

        /// The sums of `rows`, the cost rounded to the stored precision (1e-9 USD) so
        /// floating-point residue never shows.
        public init(summing rows: [Row] = []) {
            for row in rows {
                calls += row.totals.calls
                failedCalls += row.totals.failedCalls
                promptTokens += row.totals.promptTokens
                completionTokens += row.totals.completionTokens
                cachedTokens += row.totals.cachedTokens
                memoryTokens += row.totals.memoryTokens
                costUSD += row.totals.costUSD
            }
            costUSD = (costUSD * 1e9).rounded() / 1e9
        }

        init(
            calls: Int, failedCalls: Int, promptTokens: Int, completionTokens: Int, cachedTokens: Int, memoryTokens: Int,
            costUSD: Double
        ) {
            self.calls = calls
            self.failedCalls = failedCalls
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.cachedTokens = cachedTokens
            self.memoryTokens = memoryTokens
            self.costUSD = costUSD
        }

        enum CodingKeys: String, CodingKey {
            case calls
            case failedCalls = "failed_calls"
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case cachedTokens = "cached_tokens"
            case memoryTokens = "memory_tokens"
            case costUSD = "cost_usd"
        }
    }

    /// The calls of one UTC day to one provider's model. Encodes flat:
    /// `{"date", "provider", "model", …Totals}`.
    public struct Row: Sendable, Equatable, Encodable {
        /// The UTC date, `YYYY-MM-DD`.
        public var day: String
        public var provider: String
        public var model: String
        public var totals: Totals

        enum CodingKeys: String, CodingKey {
            case day = "date"
            case provider, model
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(day, forKey: .day)
            try container.encode(provider, forKey: .provider)
            try container.encode(model, forKey: .model)
            try totals.encode(to: encoder)
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Stores one call.
    public func record(_ call: Call, logger: Logger) async throws {
        try await record([call], logger: logger)
    }

    /// Stores calls in a single INSERT, however many: a batching writer's one round trip.
    /// Calls of tenants that no longer exist are dropped (their rows would go with them),
    /// so one such call cannot make a whole batch fail again on every retry.
    public func record(_ calls: [Call], logger: Logger) async throws {
        guard !calls.isEmpty else { return }
        // unnest() takes no arrays of optionals: a missing job id travels as '', a missing status as 0.
        try await client.query("""
            INSERT INTO llm_calls (tenant_id, job_id, purpose, provider, model, prompt_tokens, completion_tokens,
                                   cached_tokens, memory_tokens, cost_usd, latency_ms, outcome, http_status, created_at)
            SELECT t, nullif(j, ''), pu, pr, m, pt, ct, ca, mt, c, l, o, nullif(s, 0), ts
            FROM unnest(\(calls.map(\.tenantID)), \(calls.map { $0.jobID ?? "" }), \(calls.map(\.purpose)),
                        \(calls.map(\.provider)), \(calls.map(\.model)), \(calls.map(\.promptTokens)),
                        \(calls.map(\.completionTokens)), \(calls.map(\.cachedTokens)), \(calls.map(\.memoryTokens)),
                        \(calls.map(\.costUSD)),
                        \(calls.map(\.latencyMilliseconds)), \(calls.map(\.outcome)), \(calls.map { $0.httpStatus ?? 0 }),
                        \(calls.map(\.createdAt))) AS u(t, j, pu, pr, m, pt, ct, ca, mt, c, l, o, s, ts)
            WHERE EXISTS (SELECT 1 FROM tenants WHERE tenants.id = u.t)
            """, logger: logger)
    }

    /// Sums of a tenant's calls made in `from..<to`, per UTC day, provider and model, in
    /// that order.
    public func summary(tenantID: String, from: Date, to: Date, logger: Logger) async throws -> [Row] {
        let rows = try await client.query("""
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, provider, model,
                   count(*), count(*) FILTER (WHERE outcome <> 'ok'),
                   sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(memory_tokens), sum(cost_usd)::float8
            FROM llm_calls
            WHERE tenant_id = \(tenantID) AND created_at >= \(from) AND created_at < \(to)
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            """, logger: logger)
        var found: [Row] = []
        for try await (day, provider, model, calls, failed, prompt, completion, cached, memory, cost) in rows.decode(
            (String, String, String, Int, Int, Int, Int, Int, Int, Double).self)
        {
            found.append(Row(
                day: day, provider: provider, model: model,
                totals: Totals(
                    calls: calls, failedCalls: failed, promptTokens: prompt, completionTokens: completion,
                    cachedTokens: cached, memoryTokens: memory, costUSD: cost)))
        }
        return found
    }
}
