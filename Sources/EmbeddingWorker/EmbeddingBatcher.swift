public import Cache
public import Contracts
public import CoreMetrics
import Crypto
public import Embeddings
import Foundation
public import Logging
import Metrics
import PostgresNIO
public import ServiceLifecycle
public import Storage
import Synchronization
import Tracing
import WorkerRuntime

/// Gathers the texts of concurrently handled embed jobs into micro-batches (up to a
/// token budget, waiting at most a short linger for company), then per batch: cache
/// lookup, the model for the misses, cache store, one bulk upsert. Each job's handler
/// resumes once its rows are committed.
public final class EmbeddingBatcher: Service, Sendable {
    public struct Configuration: Sendable {
        public var maxBatchTokens: Int
        public var linger: Duration

        public init(maxBatchTokens: Int = 8192, linger: Duration = .milliseconds(2)) {
            self.maxBatchTokens = maxBatchTokens
            self.linger = linger
        }
    }

    /// What a job got: vectors written and how many came from the cache.
    public struct Outcome: Sendable, Equatable {
        public var count: Int
        public var cached: Int
    }

    /// Vectors for texts a caller waits on (RPC); nothing is stored.
    public struct QueryOutcome: Sendable {
        public var vectors: [[Float]]
        public var tokens: [Int]
    }

    struct Request: Sendable {
        enum Purpose {
            /// Store the vectors for these items, then answer with counts.
            case store(tenantID: String, items: [EmbedJob.Item], CheckedContinuation<Outcome, any Error>)
            /// Answer with the vectors as soon as they exist.
            case query(tenantID: String?, tokens: [Int], CheckedContinuation<QueryOutcome, any Error>)
        }

        /// Whose cache entries the texts use; nil: none.
        var tenantID: String? {
            switch purpose {
            case .store(let tenantID, _, _): tenantID
            case .query(let tenantID, _, _): tenantID
            }
        }

        var texts: [String]
        var tokens: Int
        var purpose: Purpose
        /// The submitter's trace: a batch's spans join the first one's and link the rest.
        var trace: TraceContext? = TraceContext.current

        func fail(_ error: any Error) {
            switch purpose {
            case .store(_, _, let continuation): continuation.resume(throwing: error)
            case .query(_, _, let continuation): continuation.resume(throwing: error)
            }
        }
    }

    private let configuration: Configuration
    private let embedder: any Embedder
    private let cache: EmbeddingCache?
    private let repository: EmbeddingRepository
    private let mayActivate: Bool
    private let metrics: EmbeddingMetrics
    private let logger: Logger
    private let pending = Mutex<[Request]>([])
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let ready = Atomic<Bool>(false)

    public init(
        configuration: Configuration, embedder: any Embedder, cache: EmbeddingCache?,
        repository: EmbeddingRepository, mayActivate: Bool = true, metrics: any MetricsFactory, logger: Logger
    ) {
        self.configuration = configuration
        self.embedder = embedder
        self.cache = cache
        self.repository = repository
        self.mayActivate = mayActivate
        self.metrics = EmbeddingMetrics(factory: metrics)
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var space: EmbeddingSpace { embedder.space }

    /// True once the space is registered and the model has run once.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Embeds and stores a job's items; returns when they are committed.
    public func submit(tenantID: String, items: [EmbedJob.Item]) async throws -> Outcome {
        let tokens = items.reduce(0) { $0 + embedder.tokenCount($1.text) }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(Request(texts: items.map(\.text), tokens: tokens, purpose: .store(tenantID: tenantID, items: items, continuation)))
        }
    }

    /// Embeds texts for a waiting caller: the tenant's cache entries, then the model,
    /// batched with the jobs.
    public func query(_ texts: [String], tenantID: String?) async throws -> QueryOutcome {
        let tokens = texts.map(embedder.tokenCount)
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(Request(
                texts: texts, tokens: tokens.reduce(0, +), purpose: .query(tenantID: tenantID, tokens: tokens, continuation)))
        }
    }

    private func enqueue(_ request: Request) {
        pending.withLock { $0.append(request) }
        wake.yield()
    }

    public func run() async throws {
        let space = embedder.space
        try await repository.register(
            spaceID: space.id, model: space.model, revision: space.revision, dimensions: space.dimensions,
            mayActivate: mayActivate, logger: logger)
        _ = try await embedder.embed(["warm up"])
        ready.store(true, ordering: .releasing)
        logger.info("embedding model warm", metadata: ["embedding.space": "\(space.id)"])

        // Persisting overlaps with embedding the next batch; at most one of each at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var persisting = false
            for await _ in wakeups.cancelOnGracefulShutdown() {
                while let batch = await nextBatch() {
                    let stores = answerQueries(await embed(batch))
                    guard !stores.isEmpty else { continue }
                    if persisting { try await group.next() }
                    group.addTask { await self.persist(stores) }
                    persisting = true
                }
            }
            try await group.waitForAll()
        }
        // Shutdown: whatever is still queued fails retryably and is redelivered.
        for request in pending.withLock({ requests in defer { requests = [] }; return requests }) {
            request.fail(JobFailure.retryable("embedding worker shutting down"))
        }
    }

    /// Takes queued requests up to the token budget, lingering briefly for more when the
    /// batch is small.
    private func nextBatch() async -> [Request]? {
        let queuedTokens = pending.withLock { $0.reduce(0) { $0 + $1.tokens } }
        guard queuedTokens > 0 || pending.withLock({ !$0.isEmpty }) else { return nil }
        if queuedTokens < configuration.maxBatchTokens { try? await Task.sleep(for: configuration.linger) }
        return pending.withLock { requests in
            var tokens = 0
            var count = 0
            for request in requests {
                if count > 0 && tokens + request.tokens > configuration.maxBatchTokens { break }
                tokens += request.tokens
                count += 1
            }
            let batch = Array(requests.prefix(count))
            requests.removeFirst(count)
            return batch.isEmpty ? nil : batch
        }
    }

    struct Embedded {
        var requests: [Request]
        /// Per request, per item.
        var vectors: Result<[[[Float]]], any Error>
        var cached: [Int]
    }

    private func embed(_ batch: [Request]) async -> Embedded {
        await Self.inSpan("embed batch", serving: batch.map(\.trace)) { span in
            span?.attributes["memgrid.embedding.space"] = embedder.space.id
            span?.attributes["memgrid.embedding.texts"] = batch.reduce(0) { $0 + $1.texts.count }
            span?.attributes["memgrid.embedding.tokens"] = batch.reduce(0) { $0 + $1.tokens }
            return await embedUntraced(batch)
        }
    }

    private func embedUntraced(_ batch: [Request]) async -> Embedded {
        let space = embedder.space
        let texts = batch.flatMap(\.texts)
        let tenants = batch.flatMap { request in repeatElement(request.tenantID, count: request.texts.count) }
        let keyed = texts.indices.filter { tenants[$0] != nil }
        var cachedVectors = [[Float]?](repeating: nil, count: texts.count)
        if let cache {
            let found = await Telemetry.withDatabaseSpan("redis", operation: "GET", collection: "embedding cache") {
                await cache.lookup(space: space.id, entries: keyed.map { (tenants[$0]!, texts[$0]) }, dimensions: space.dimensions)
            }
            for (index, vector) in zip(keyed, found) { cachedVectors[index] = vector }
        }
        let missIndices = cachedVectors.indices.filter { cachedVectors[$0] == nil }
        do {
            let start = ContinuousClock.now
            let computed: [[Float]] = missIndices.isEmpty ? [] : try await Telemetry.withSpan("encode") { span in
                span?.attributes["memgrid.embedding.texts"] = missIndices.count
                return try await embedder.embed(missIndices.map { texts[$0] })
            }
            metrics.modelDuration.record(duration: ContinuousClock.now - start)
            var all = cachedVectors
            for (index, vector) in zip(missIndices, computed) { all[index] = vector }
            if let cache, !computed.isEmpty {
                await Telemetry.withDatabaseSpan("redis", operation: "SET", collection: "embedding cache") {
                    await cache.store(
                        space: space.id,
                        entries: zip(missIndices, computed).compactMap { index, vector in tenants[index].map { ($0, texts[index], vector) } })
                }
            }

            metrics.texts.increment(by: Int64(texts.count))
            metrics.tokens.increment(by: Int64(batch.reduce(0) { $0 + $1.tokens }))
            metrics.batchSize.record(texts.count)

            var offset = 0
            var perRequest: [[[Float]]] = []
            var cached: [Int] = []
            for request in batch {
                let range = offset..<offset + request.texts.count
                perRequest.append(range.map { all[$0]! })
                cached.append(range.count { cachedVectors[$0] != nil })
                offset += request.texts.count
            }
            return Embedded(requests: batch, vectors: .success(perRequest), cached: cached)
        } catch {
            return Embedded(requests: batch, vectors: .failure(error), cached: [])
        }
    }

    typealias Store = (
        rows: [EmbeddingRepository.Row], outcome: Outcome, continuation: CheckedContinuation<Outcome, any Error>, trace: TraceContext?
    )

    /// Answers the batch's queries at once (they wait for nothing else) and returns the
    /// jobs' rows still to store.
    private func answerQueries(_ embedded: Embedded) -> [Store] {
        let vectors: [[[Float]]]
        switch embedded.vectors {
        case .failure(let error):
            for request in embedded.requests { request.fail(error) }
            return []
        case .success(let value):
            vectors = value
        }
        var stores: [Store] = []
        for (index, request) in embedded.requests.enumerated() {
            switch request.purpose {
            case .query(_, let tokens, let continuation):
                continuation.resume(returning: QueryOutcome(vectors: vectors[index], tokens: tokens))
            case .store(let tenantID, let items, let continuation):
                let rows = zip(items, vectors[index]).map { Self.row(tenantID: tenantID, item: $0, vector: $1) }
                stores.append((rows, Outcome(count: items.count, cached: embedded.cached[index]), continuation, request.trace))
            }
        }
        return stores
    }

    /// One multi-row upsert for the batch, or per job when that fails, so one bad job
    /// (e.g. an unknown tenant) cannot fail its neighbours.
    private func persist(_ stores: [Store]) async {
        await TraceContext.$current.withValue(stores.lazy.compactMap(\.trace).first) {
            await Telemetry.withDatabaseSpan("postgresql", operation: "INSERT", collection: "embeddings") {
                await persistUntraced(stores)
            }
        }
    }

    /// A batch serves several jobs: its span joins the first traced one's trace and links
    /// the others.
    private static func inSpan<T>(_ name: String, serving traces: [TraceContext?], _ body: ((any Span)?) async -> T) async -> T {
        let traces = traces.compactMap { $0 }
        guard let first = traces.first else { return await body(nil) }
        return await TraceContext.$current.withValue(first) {
            await Telemetry.withSpan(name) { span in
                for trace in traces.dropFirst() { Telemetry.link(span, to: trace) }
                return await body(span)
            }
        }
    }

    private func persistUntraced(_ stores: [Store]) async {
        let space = embedder.space
        guard !stores.isEmpty else { return }
        do {
            try await repository.upsert(stores.flatMap(\.rows), spaceID: space.id, dimensions: space.dimensions, logger: logger)
            for store in stores { store.continuation.resume(returning: store.outcome) }
        } catch {
            for store in stores {
                do {
                    try await repository.upsert(store.rows, spaceID: space.id, dimensions: space.dimensions, logger: logger)
                    store.continuation.resume(returning: store.outcome)
                } catch {
                    store.continuation.resume(throwing: StorageFailure.classify(error))
                }
            }
        }
    }

    static func row(tenantID: String, item: EmbedJob.Item, vector: [Float]) -> EmbeddingRepository.Row {
        let hash = SHA256.hash(data: Data(item.text.utf8)).hexString
        let metadata = item.metadata.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return EmbeddingRepository.Row(
            tenantID: tenantID, targetKind: EmbeddingRepository.Row.TargetKind(rawValue: item.target.kind.rawValue) ?? .document,
            targetID: item.target.id, contentHash: hash, embedding: vector, text: item.text, metadataJSON: metadata)
    }
}

struct EmbeddingMetrics: Sendable {
    let texts: Counter
    let tokens: Counter
    let batchSize: Recorder
    let modelDuration: Metrics.Timer

    init(factory: any MetricsFactory) {
        texts = Counter(label: "memgrid_embedding_texts_total", factory: factory)
        tokens = Counter(label: "memgrid_embedding_tokens_total", factory: factory)
        batchSize = Recorder(label: "memgrid_embedding_batch_size", aggregate: true, factory: factory)
        modelDuration = Metrics.Timer(label: "memgrid_embedding_model_seconds", preferredDisplayUnit: .seconds, factory: factory)
    }
}
