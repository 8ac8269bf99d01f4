import CoreMetrics
import Logging
import Messaging
import ServiceLifecycle
import Synchronization

/// The consume loop that jobs (`JobWorker`) and RPC requests (`RPCServer`) share. Each
/// delivery runs in its own child task; the consumer's prefetch bounds how many at once.
/// Graceful shutdown (or cancellation) drains: consuming stops, deliveries prefetched
/// but not started go back to the broker untouched, the started ones get `drainTimeout`
/// to finish, then the consumer closes. Whatever still runs is cancelled; unacked, it is
/// redelivered.
final class DeliveryLoop: Sendable {
    private let consumer: Consumer
    private let drainTimeout: Duration
    private let requeued: Counter
    private let inFlight: Meter
    private let logger: Logger
    private let tracker = InFlightTracker()
    private let draining = Atomic<Bool>(false)

    /// - Parameters:
    ///   - consumer: started by `run` and closed when it drains.
    ///   - requeued: counts prefetched deliveries handed back while draining.
    ///   - inFlight: the deliveries being handled.
    init(consumer: Consumer, drainTimeout: Duration, requeued: Counter, inFlight: Meter, logger: Logger) {
        self.consumer = consumer
        self.drainTimeout = drainTimeout
        self.requeued = requeued
        self.inFlight = inFlight
        self.logger = logger
    }

    /// Handles every delivery with `handle` until the consumer is closed.
    func run(_ handle: @escaping @Sendable (Delivery) async -> Void) async {
        consumer.start()
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Graceful shutdown, or cancellation: either way, drain then close.
                try? await gracefulShutdown()
                await self.drain()
            }
            for await delivery in consumer.deliveries {
                if draining.load(ordering: .relaxed) {
                    consumer.reject(delivery, requeue: true)
                    requeued.increment()
                    continue
                }
                tracker.enter()
                inFlight.increment()
                group.addTask {
                    await handle(delivery)
                    self.inFlight.decrement()
                    self.tracker.leave()
                }
            }
            // The stream ends once the consumer is closed; anything still running
            // overran the drain timeout.
            group.cancelAll()
        }
    }

    private func drain() async {
        draining.store(true, ordering: .relaxed)
        consumer.cancel()
        logger.info("draining in-flight deliveries")
        if !(await tracker.waitUntilIdle(timeout: drainTimeout)) {
            logger.warning("drain timeout passed; unfinished deliveries will be redelivered")
        }
        await consumer.close()
    }
}
