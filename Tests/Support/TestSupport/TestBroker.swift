public import Contracts
public import Foundation
public import Messaging

/// Test settings from the local stack's environment (loopback defaults), and a fresh
/// topology per test so tests never share queues.
public enum TestBroker {
    public static var configuration: BrokerConfiguration {
        var configuration = try! BrokerConfiguration(
            url: ProcessInfo.processInfo.environment["MEMGRID_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:35672/")
        configuration.heartbeat = .seconds(2)
        configuration.reconnectBackoff = .milliseconds(50) ... .milliseconds(500)
        return configuration
    }

    public static var admin: BrokerAdmin { BrokerAdmin(configuration: configuration) }

    /// A topology with one queue (`probe`) routed from kinds `probe` and `other`.
    public static func makeTopology(retryLevels: Int = 3) -> TopologyDeclaration {
        let queue = JobQueue("probe")
        let topology = Topology(
            prefix: "test-\(UUID().uuidString.prefix(8).lowercased())", queues: [queue],
            routes: [queue: ["probe", "other"]], retryLevels: retryLevels)
        return TopologyDeclaration(topology: topology)
    }

    /// Deletes every queue and exchange of a test topology.
    public static func tearDown(_ declaration: TopologyDeclaration, extraQueues: [String] = []) async {
        let topology = declaration.topology
        var queues = extraQueues
        for queue in topology.queues {
            queues += [topology.workQueue(queue), topology.deadLetterQueue(queue)]
            queues += (1...topology.retryLevels).map { topology.retryQueue(queue, level: $0) }
        }
        try? await admin.deleteQueues(queues)
        try? await admin.deleteExchanges([topology.jobsExchange, topology.eventsExchange, topology.deadLetterExchange])
    }

    /// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
    public static func eventually(
        timeout: Duration = .seconds(30), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }

    /// Runs `rabbitmqctl` against the local stack's node.
    public static func rabbitmqctl(_ arguments: [String]) async throws {
        let command = ProcessInfo.processInfo.environment["MEMGRID_RABBITMQCTL"] ?? "scripts/stack.sh rabbitmqctl"
        try await StackScript.run(([command] + arguments.map { "'\($0)'" }).joined(separator: " "))
    }

    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
