import Logging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization

/// Writes every LLM call's usage row to PostgreSQL off the calls' path: recording only
/// appends to a buffer; a loop inserts the buffer in batches every `interval`, and the
/// last batch is flushed at shutdown. A database outage keeps rows buffered (bounded)
/// and retries them, so metering never slows or fails an LLM call.
final class UsageMeter: Service, Sendable {
    private let usage: UsageRepository
    private let interval: Duration
    private let maxBuffered: Int
    private let buffer = Mutex<[UsageRepository.Call]>([])
    private let dropped: Counter
    private let logger: Logger

    init(
        usage: UsageRepository, interval: Duration = .milliseconds(200), maxBuffered: Int = 100_000, factory: any MetricsFactory,
        logger: Logger
    ) {
        dropped = Counter(label: "memgrid_llm_usage_rows_dropped_total", factory: factory)
        self.usage = usage
        self.interval = interval
        self.maxBuffered = maxBuffered
        self.logger = logger
    }

    func record(_ call: UsageRepository.Call) {
        let overflow = buffer.withLock { buffer in
            buffer.append(call)
            let overflow = max(0, buffer.count - maxBuffered)
            buffer.removeFirst(overflow)
            return overflow
        }
        if overflow > 0 {
            dropped.increment(by: Int64(overflow))
            logger.error("usage buffer full; oldest rows dropped", metadata: ["rows": "\(overflow)"])
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        // The last rows, outside the cancelled task (a cancelled query would not run).
        await Task { await self.flush() }.value
    }

    /// Inserts everything buffered so far; on failure puts it back for the next round.
    func flush() async {
        let rows = buffer.withLock { buffer in defer { buffer = [] }; return buffer }
        guard !rows.isEmpty else { return }
        do {
            try await usage.record(rows, logger: logger)
        } catch {
            logger.warning("could not store LLM usage; will retry", metadata: ["rows": "\(rows.count)", "error": "\(String(reflecting: error).prefix(300))"])
            buffer.withLock { $0.insert(contentsOf: rows, at: 0) }
        }
    }
}
