extension BrokerAdmin {
    /// `queueDepth` of several queues over one connection (a dashboard samples dozens
    /// every few seconds). Fails as a whole if any queue is missing.
    public func queueDepths(_ queues: [String]) async throws -> [String: (messages: Int, consumers: Int)] {
        try await run { connection throws(BrokerError) in
            var depths: [String: (messages: Int, consumers: Int)] = [:]
            for queue in queues { depths[queue] = try connection.declareQueue(queue, passive: true) }
            return depths
        }
    }
}
