public import Contracts

/// How `Topology` is declared on the broker. Every process declares it at start and
/// after each reconnect; declarations are idempotent as long as the arguments match.
public struct TopologyDeclaration: Sendable, Hashable {
    public enum QueueType: String, Sendable, Hashable {
        case quorum, classic
    }

    public var topology: Topology
    /// Work and dead-letter queues. Quorum by default: replicated on a cluster, and the
    /// broker enforces `deliveryLimit` even if a poison message crashes every consumer.
    /// See docs/benchmarks.md for the measured cost against classic queues.
    public var workQueueType: QueueType
    /// Broker-side redelivery cap for quorum work queues (crash-loop guard).
    public var deliveryLimit: Int

    /// Waiting RPC requests per queue beyond which publishing one is refused (nacked),
    /// so callers fail fast when no worker answers instead of timing out one by one.
    public var rpcQueueLimit: Int

    public init(topology: Topology, workQueueType: QueueType = .quorum, deliveryLimit: Int = 20, rpcQueueLimit: Int = 10_000) {
        self.topology = topology
        self.workQueueType = workQueueType
        self.deliveryLimit = deliveryLimit
        self.rpcQueueLimit = rpcQueueLimit
    }

    func declare(on connection: AMQPConnection) throws(BrokerError) {
        let topology = self.topology
        try connection.declareExchange(topology.jobsExchange, type: "direct")
        try connection.declareExchange(topology.eventsExchange, type: "topic")
        try connection.declareExchange(topology.deadLetterExchange, type: "direct")
        for queue in topology.queues {
            let work = topology.workQueue(queue)
            var arguments: [String: HeaderValue] = [
                "x-queue-type": .string(workQueueType.rawValue),
                "x-dead-letter-exchange": .string(topology.deadLetterExchange),
                "x-dead-letter-routing-key": .string(work),
            ]
            if workQueueType == .quorum { arguments["x-delivery-limit"] = .int(Int64(deliveryLimit)) }
            try connection.declareQueue(work, arguments: arguments)
            for kind in topology.routes[queue] ?? [] {
                try connection.bindQueue(work, exchange: topology.jobsExchange, routingKey: kind)
            }
            for event in topology.subscriptions[queue] ?? [] {
                try connection.bindQueue(work, exchange: topology.eventsExchange, routingKey: event)
            }

            try connection.declareQueue(
                topology.rpcQueue(queue),
                arguments: [
                    "x-queue-type": .string("classic"),
                    "x-max-length": .int(Int64(rpcQueueLimit)),
                    "x-overflow": .string("reject-publish"),
                ])

            let deadLetters = topology.deadLetterQueue(queue)
            try connection.declareQueue(deadLetters, arguments: ["x-queue-type": .string(workQueueType.rawValue)])
            try connection.bindQueue(deadLetters, exchange: topology.deadLetterExchange, routingKey: work)

            // Delay queues are classic: nothing consumes them, messages wait minutes at
            // most, and per-message TTL on quorum queues needs RabbitMQ >= 3.10. An expired
            // message is dead-lettered through the default exchange straight back to its
            // work queue.
            for level in 1...max(1, topology.retryLevels) {
                try connection.declareQueue(
                    topology.retryQueue(queue, level: level),
                    arguments: [
                        "x-queue-type": .string("classic"),
                        "x-dead-letter-exchange": .string(""),
                        "x-dead-letter-routing-key": .string(work),
                    ])
            }
        }
    }
}
