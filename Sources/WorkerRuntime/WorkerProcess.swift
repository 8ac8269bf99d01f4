public import Cache
import Contracts
public import Logging
public import Messaging
import Metrics
public import Prometheus
public import ServiceLifecycle
import UnixSignals

/// Wires one queue worker process: publisher, consumer + `JobWorker`, side server.
/// The executables' `main` and the tests both call `build`.
public enum WorkerProcess {
    public struct Parts: Sendable {
        public let group: ServiceGroup
        public let publisher: Publisher
        public let consumer: Consumer
        public let readiness: Readiness
        public let handlerTypes: [String]
    }

    /// - Parameters:
    ///   - dependencies: services the handlers need (database, cache, model), started
    ///     before consuming and stopped after it. With a `DatabaseService` among them,
    ///     every other service starts once it runs.
    ///   - rpc: answers requests on the queue's RPC queue (`Topology.rpcQueue`), if set.
    ///   - observer: told about each job's progress (job status rows).
    ///   - publisher: the process's publisher, when the caller needed it before
    ///     (`makePublisher`); a new one otherwise.
    ///   - redis: the process's Redis client, already among `dependencies`, for the
    ///     heartbeats; without one the process opens its own.
    ///   - makeRouter: the handlers, given the process's publisher.
    public static func build(
        configuration: WorkerProcessConfiguration,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        dependencies: [any Service] = [],
        rpc: (any RPCHandler)? = nil,
        observer: (any JobObserver)? = nil,
        publisher: Publisher? = nil,
        redis: RedisClient? = nil,
        makeRouter: (Publisher) -> JobRouter
    ) throws -> Parts {
        let process = configuration.process
        let worker = configuration.worker
        let publisher = publisher ?? makePublisher(configuration: configuration, logger: logger)
        let consumer = Consumer(
            configuration: process.broker,
            queue: worker.topology.workQueue(worker.queue),
            prefetch: worker.concurrency,
            declaration: process.declaration,
            logger: logger)
        let factory = PrometheusMetricsFactory(registry: registry)
        BuildInfo.register(in: registry)
        let router = makeRouter(publisher)
        let jobWorker = JobWorker(
            configuration: worker, consumer: consumer, publisher: publisher, router: router,
            metrics: WorkerMetrics(queue: worker.queue.rawValue, factory: factory), observer: observer, logger: logger)
        let readiness = Readiness()
        readiness.add("broker_publisher") { publisher.status.isConnected }
        readiness.add("broker_consumer") { consumer.status.isConnected }
        var consumers: [any Service] = [jobWorker]
        if let rpc {
            let rpcConsumer = Consumer(
                configuration: process.broker, queue: worker.topology.rpcQueue(worker.queue),
                prefetch: worker.concurrency, declaration: process.declaration, logger: logger)
            consumers.append(RPCServer(consumer: rpcConsumer, publisher: publisher, factory: factory, logger: logger, handler: rpc))
            readiness.add("broker_rpc_consumer") { rpcConsumer.status.isConnected }
        }
        var dependencies = dependencies
        let heartbeatRedis: RedisClient
        if let redis {
            heartbeatRedis = redis
        } else {
            heartbeatRedis = RedisClient(configuration: process.redis, logger: logger)
            dependencies.append(RedisService(client: heartbeatRedis))
        }
        // After its Redis client, so it stops before the client closes.
        dependencies.append(HeartbeatService(
            configuration: .init(
                role: "\(worker.queue.rawValue)-worker", queue: worker.queue.rawValue, prefix: worker.topology.prefix,
                interval: process.heartbeatInterval),
            redis: heartbeatRedis, readiness: readiness, registry: registry, logger: logger))
        let server = OperationsServer.application(
            host: process.operationsHost, port: process.operationsPort, readiness: readiness,
            registry: registry, logger: logger)
        // Dependencies first, consumers next, HTTP last: shutdown runs in reverse.
        var services: [any Service] = [PublisherService(publisher)] + dependencies + consumers + [server]
        if let database = dependencies.lazy.compactMap({ $0 as? DatabaseService }).first {
            services = [database] + database.afterStart(services.filter { $0 as? DatabaseService !== database })
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        return Parts(group: group, publisher: publisher, consumer: consumer, readiness: readiness, handlerTypes: router.types)
    }

    /// The publisher `build` would create, for wiring that needs it before the handlers.
    public static func makePublisher(configuration: WorkerProcessConfiguration, logger: Logger) -> Publisher {
        Publisher(configuration: configuration.process.broker, declaration: configuration.process.declaration, logger: logger)
    }
}
