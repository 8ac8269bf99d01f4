import Foundation

/// One-off broker operations for the CLI, tests and readiness probes. Each call opens a
/// short-lived connection on a thread of its own, so nothing blocks the caller's executor.
public struct BrokerAdmin: Sendable {
    public let configuration: BrokerConfiguration

    public init(configuration: BrokerConfiguration) {
        self.configuration = configuration
    }

    public func declare(_ declaration: TopologyDeclaration) async throws {
        try await run { connection throws(BrokerError) in try declaration.declare(on: connection) }
    }

    /// Ready messages (not counting unacked ones) and consumers of a queue.
    public func queueDepth(_ queue: String) async throws -> (messages: Int, consumers: Int) {
        try await run { connection throws(BrokerError) in try connection.declareQueue(queue, passive: true) }
    }

    public func purge(_ queue: String) async throws {
        try await run { connection throws(BrokerError) in try connection.purgeQueue(queue) }
    }

    public func deleteQueues(_ queues: [String]) async throws {
        try await run { connection throws(BrokerError) in
            for queue in queues { try connection.deleteQueue(queue) }
        }
    }

    public func deleteExchanges(_ exchanges: [String]) async throws {
        try await run { connection throws(BrokerError) in
            for exchange in exchanges { try connection.deleteExchange(exchange) }
        }
    }

    /// Takes up to `limit` messages off a queue (acknowledged, so removed).
    public func drain(_ queue: String, limit: Int) async throws -> [Delivery] {
        try await run { connection throws(BrokerError) in
            var messages: [Delivery] = []
            while messages.count < limit, let delivery = try connection.get(queue, autoAck: true) {
                messages.append(delivery)
            }
            return messages
        }
    }

    /// Opens a connection, runs `body` on a dedicated thread, closes.
    func run<T: Sendable>(
        _ body: @escaping @Sendable (AMQPConnection) throws(BrokerError) -> T
    ) async throws -> T {
        try await onThread { configuration throws(BrokerError) in
            let connection = try AMQPConnection.open(configuration)
            let result = try body(connection)
            connection.close()
            return result
        }
    }

    private func onThread<T: Sendable>(
        _ body: @escaping @Sendable (BrokerConfiguration) throws(BrokerError) -> T
    ) async throws -> T {
        let configuration = self.configuration
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try body(configuration))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "memgrid-broker-admin"
            thread.start()
        }
    }
}

extension BrokerAdmin {
    /// Declares a durable queue (idempotent).
    public func declareQueue(_ queue: String, arguments: [String: HeaderValue] = [:]) async throws {
        _ = try await run { connection throws(BrokerError) in try connection.declareQueue(queue, arguments: arguments) }
    }
}

extension BrokerAdmin {
    /// Binds a queue to an exchange, e.g. an events subscriber's queue with `job.*`.
    public func bind(_ queue: String, to exchange: String, routingKey: String) async throws {
        try await run { connection throws(BrokerError) in
            try connection.bindQueue(queue, exchange: exchange, routingKey: routingKey)
        }
    }
}
