import Foundation
import Hummingbird
import NIOCore
import Storage
import WorkerRuntime

/// The operations dashboard (docs/dashboard.md): `GET /dashboard` serves the page, which
/// draws `GET /v1/admin/dashboard`. The data needs a key with the `admin` scope, and shows
/// the caller's own tenant's spend and budgets. Queues, workers and cluster-wide rates
/// tell of every tenant's traffic, so only a key with the `operator` scope (given by
/// whoever runs the deployment, `memgrid keys create --scope operator`) sees them;
/// anyone else gets them empty.
struct DashboardAPI: Sendable {
    static let scope = "admin"
    static let operatorScope = "operator"

    struct Body: Encodable {
        var object = "dashboard"
        var generatedAt: Date
        var sampleIntervalSeconds: Double
        var windowSeconds: Double
        /// Sample times, Unix seconds; every series below has one value per time.
        var times: [Double]
        var queues: [QueueView]
        var series: [String: [Double?]]
        var workers: [WorkerView]
        var spend: SpendView

        enum CodingKeys: String, CodingKey {
            case object, times, queues, series, workers, spend
            case generatedAt = "generated_at"
            case sampleIntervalSeconds = "sample_interval_seconds"
            case windowSeconds = "window_seconds"
        }
    }

    struct QueueView: Encodable {
        var queue: String
        /// The latest sample's depths (nil while the broker is unreachable).
        var ready: Int?
        var retrying: Int?
        var deadLettered: Int?
        var consumers: Int?
        var series: [String: [Double?]]

        enum CodingKeys: String, CodingKey {
            case queue, ready, retrying, consumers, series
            case deadLettered = "dead_lettered"
        }
    }

    struct WorkerView: Encodable {
        var role: String
        var instance: String
        var queue: String?
        var ready: Bool
        var checks: [String: Bool]
        var startedAt: Date
        var lastSeen: Date
        var counters: [String: Double]

        enum CodingKeys: String, CodingKey {
            case role, instance, queue, ready, checks, counters
            case startedAt = "started_at"
            case lastSeen = "last_seen"
        }
    }

    struct SpendView: Encodable {
        var tenant: String
        var monthToDateUSD: Double
        var budgets: [UsageAPI.BudgetView]

        enum CodingKeys: String, CodingKey {
            case tenant, budgets
            case monthToDateUSD = "month_to_date_usd"
        }
    }

    let sampler: DashboardSampler
    let reads: ReadReplicas

    func register(page router: Router<GatewayContext>, data api: RouterGroup<GatewayContext>) {
        router.get("/dashboard") { _, _ in
            Response(status: .ok, headers: DashboardPage.headers, body: .init(byteBuffer: ByteBuffer(bytes: DashboardPage.html)))
        }
        api.get("/admin/dashboard", use: data)
    }

    func data(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID(requiring: Self.scope)
        let operates = context.principal?.scopes.contains(Self.operatorScope) == true
        let now = Date()
        let (statuses, monthRows) = try await reads.read { client in
            async let statuses = BudgetRepository(client: client).status(tenantID: tenantID, now: now, logger: context.logger)
            async let monthRows = UsageRepository(client: client).summary(
                tenantID: tenantID, from: Self.monthStart(of: now), to: now.addingTimeInterval(1), logger: context.logger)
            return try await (statuses, monthRows)
        }
        let samples = operates ? sampler.snapshot.samples : []
        return try .json(Body(
            generatedAt: now, sampleIntervalSeconds: sampler.configuration.interval.timeInterval,
            windowSeconds: sampler.configuration.window.timeInterval,
            times: samples.map(\.time.timeIntervalSince1970),
            queues: Self.queues(samples, names: operates ? sampler.queueNames : []),
            series: Self.totals(samples),
            workers: (samples.last?.workers ?? []).map {
                WorkerView(
                    role: $0.role, instance: $0.instance, queue: $0.queue, ready: $0.ready, checks: $0.checks,
                    startedAt: $0.startedAt, lastSeen: $0.sentAt, counters: $0.counters)
            },
            spend: SpendView(
                tenant: tenantID, monthToDateUSD: UsageRepository.Totals(summing: monthRows).costUSD,
                budgets: statuses.map(UsageAPI.BudgetView.init))))
    }

    static func queues(_ samples: [DashboardHistory.Sample], names: [String]) -> [QueueView] {
        names.map { name in
            let latest = samples.last?.depths?[name]
            func depth(_ value: @escaping (DashboardHistory.Depth) -> Int) -> [Double?] {
                samples.map { $0.depths?[name].map { Double(value($0)) } }
            }
            func rate(_ counter: String) -> [Double?] { samples.map { $0.queueRates[name]?[counter] ?? 0 } }
            return QueueView(
                queue: name, ready: latest?.ready, retrying: latest?.retrying, deadLettered: latest?.deadLettered,
                consumers: latest?.consumers,
                series: [
                    "ready": depth(\.ready), "retrying": depth(\.retrying), "dead_lettered": depth(\.deadLettered),
                    "consumed_per_second": rate(Heartbeat.Counter.consumed), "acked_per_second": rate(Heartbeat.Counter.acked),
                    "retried_per_second": rate(Heartbeat.Counter.retried),
                    "dead_lettered_per_second": rate(Heartbeat.Counter.deadLettered),
                ])
        }
    }

    static func totals(_ samples: [DashboardHistory.Sample]) -> [String: [Double?]] {
        func rate(_ counter: String) -> [Double?] { samples.map { $0.rates[counter] ?? 0 } }
        return [
            "embeddings_per_second": rate(Heartbeat.Counter.embeddingTexts),
            "llm_calls_per_second": rate(Heartbeat.Counter.llmCalls),
            "llm_tokens_per_second": rate(Heartbeat.Counter.llmTokens),
            "llm_cost_usd_per_second": rate(Heartbeat.Counter.llmCost),
            // Of the lookups in each interval; none = no value.
            "cache_hit_ratio": samples.map { sample in
                let hits = sample.rates[Heartbeat.Counter.cacheHits] ?? 0
                let lookups = hits + (sample.rates[Heartbeat.Counter.cacheMisses] ?? 0)
                return lookups > 0 ? hits / lookups : nil
            },
        ]
    }

    private static func monthStart(of date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
    }
}
