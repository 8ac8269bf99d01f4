import ArgumentParser
import AsyncHTTPClient
import Contracts
import Foundation
import LLM
import Logging
import Messaging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Synchronization
import WorkerRuntime
import Workers

/// `make bench-llm`: chat calls through one in-process LLM worker replica (RPC queue →
/// budget check → Redis rate limiter → provider → metering → reply) against a fake
/// provider that answers after a fixed delay, and the same calls straight at the fake
/// with AsyncHTTPClient as the baseline.
struct BenchLLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "LLM worker: chat calls in flight, RSS and per-call overhead against a fake provider.")

    @Option(help: "Chat calls in total.")
    var count = 10_000

    @Option(help: "The fake provider's answer delay in milliseconds.")
    var delayMs = 500

    @Option(help: "Calls the worker takes at once (its RPC prefetch).")
    var concurrency = 2_000

    @Flag(help: "Configure the provider without RPM/TPM limits (skips the Redis buckets), to isolate their cost.")
    var withoutRateLimits = false

    @Option(help: "The fake provider executable (default: memgrid-fake-llm beside this one).")
    var fakeServer: String?

    func run() async throws {
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        let fake = try FakeProviderProcess(
            executable: fakeServer ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("memgrid-fake-llm").path,
            delayMilliseconds: delayMs)
        defer { fake.stop() }
        print("bench-llm: \(count) chat calls, fake provider at \(fake.baseURL) answering after \(delayMs) ms, worker concurrency \(concurrency)")

        let baseline = try await directCalls(baseURL: fake.baseURL)
        print("baseline (AsyncHTTPClient straight to the fake): \(Int(baseline)) calls/s")

        let run = UUID().uuidString.prefix(8).lowercased()
        var values = ProcessInfo.processInfo.environment
        values["MEMGRID_TOPOLOGY_PREFIX"] = "bench-\(run)"
        values["MEMGRID_OPS_PORT"] = "0"
        values["MEMGRID_OPS_HOST"] = "127.0.0.1"
        values["MEMGRID_WORKER_CONCURRENCY"] = String(concurrency)
        values["MEMGRID_LLM_PROVIDERS_FILE"] = nil
        values["MEMGRID_LLM_PROVIDERS"] = """
            {"providers": [{"name": "fake", "base_url": "\(fake.baseURL)", "rpm": \(withoutRateLimits ? "null" : "10000000"), "tpm": \(withoutRateLimits ? "null" : "10000000000"),
              "max_concurrency": \(concurrency), "timeout_ms": 60000,
              "models": [{"name": "bench-model", "input_per_million": 0.27, "output_per_million": 1.1, "cached_input_per_million": 0.07}]}]}
            """
        let environment = EnvironmentReader(values)
        let configuration = try WorkerProcessConfiguration(queue: .llm, environment: environment, defaultOperationsPort: 0)
        let tenant = "bench-\(run)"
        let database = ScratchTenant(url: configuration.process.postgresURL, tenant: tenant, logger: logger)
        try await database.create()
        let admin = BrokerAdmin(configuration: configuration.process.broker)
        let declaration = configuration.process.declaration
        try await admin.declare(declaration)

        let observer = OverheadObserver()
        let parts = try LLMWorkerApp.build(
            configuration: configuration, llm: try LLMWorkerApp.Configuration(environment: environment),
            registry: PrometheusCollectorRegistry(), logger: logger, observer: observer)
        let worker = Task { try await parts.group.run() }
        while !(await parts.readiness.evaluate().allSatisfy { $0.ready }) { try await Task.sleep(for: .milliseconds(50)) }

        let topology = declaration.topology
        let rpc = RPCClient(
            configuration: configuration.process.broker, replyQueue: topology.replyQueue(instance: "bench-\(run)"),
            publisher: parts.publisher, logger: logger)
        let replies = Task { await rpc.run() }
        while !rpc.status.isConnected { try await Task.sleep(for: .milliseconds(20)) }
        let body = try WireJSON.encoder().encode(ChatCall(
            tenantID: tenant,
            request: ChatRequest(model: "bench-model", messages: [ChatMessage(role: "user", content: "Say hello in five words.")])))
        let message = OutgoingMessage(
            exchange: "", routingKey: topology.rpcQueue(.llm), body: body, properties: MessageProperties(type: ChatCall.type))

        let start = ContinuousClock.now
        let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let reply = try await rpc.call(message, timeout: .seconds(300))
                    return reply.properties.type == ChatCall.completionType
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 0 : 1) }
        }
        let elapsed = ContinuousClock.now - start
        let rss = Self.peakRSSMegabytes()

        await rpc.close()
        await replies.value
        await parts.group.triggerGracefulShutdown()
        _ = try? await worker.value
        try? await admin.deleteQueues([topology.replyQueue(instance: "bench-\(run)")])
        try? await database.drop()

        let rate = Double(count) / elapsed.seconds
        let overhead = observer.percentiles()
        print("worker: \(count) calls in \(String(format: "%.2f", elapsed.seconds)) s, \(failures) failed; ratio to baseline \(String(format: "%.2f", rate / baseline))")
        print("bench-llm: \(Int(rate)) jobs/s, \(observer.peak) in flight peak, rss \(rss) MB, overhead p50 \(String(format: "%.3f", overhead.p50)) ms p99 \(String(format: "%.3f", overhead.p99)) ms")
    }

    /// The same number of calls straight at the fake, all at once.
    private func directCalls(baseURL: String) async throws -> Double {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let body = try JSONEncoder().encode(
            ChatRequest(model: "bench-model", messages: [ChatMessage(role: "user", content: "Say hello in five words.")]))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            // At most `concurrency` in flight, as the worker.
            for _ in 0..<min(concurrency, count) {
                started += 1
                group.addTask { try await Self.post(body, to: baseURL, client: client) }
            }
            while try await group.next() != nil, started < count {
                started += 1
                group.addTask { try await Self.post(body, to: baseURL, client: client) }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        try await client.shutdown()
        return Double(count) / elapsed.seconds
    }

    private static func post(_ body: Data, to baseURL: String, client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
    }

    /// This process's peak resident set (VmHWM): the worker and the benchmark's own client.
    static func peakRSSMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return -1 }
        return kilobytes / 1024
    }
}

/// Collects each chat call's worker overhead and the in-flight peak.
private final class OverheadObserver: LLMWorkerApp.Observer {
    private let samples = Mutex<[Duration]>([])
    private let peakInFlight = Atomic<Int>(0)

    func callFinished(overhead: Duration, inFlight: Int) {
        samples.withLock { $0.append(overhead) }
        _ = peakInFlight.max(inFlight, ordering: .relaxed)
    }

    var peak: Int { peakInFlight.load(ordering: .relaxed) }

    /// p50 and p99 in milliseconds.
    func percentiles() -> (p50: Double, p99: Double) {
        let sorted = samples.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        func at(_ quantile: Double) -> Double {
            sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))] / .milliseconds(1)
        }
        return (at(0.5), at(0.99))
    }
}

/// `memgrid-fake-llm` as a child process on a free port.
private final class FakeProviderProcess: Sendable {
    let baseURL: String
    private let process: Process

    init(executable: String, delayMilliseconds: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no fake provider at \(executable); build it with `swift build -c release` or pass --fake-server")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--port", "0", "--delay-ms", String(delayMilliseconds)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // It prints `listening <port>` once ready.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw ValidationError("the fake provider exited before it was ready") }
            line.append(byte)
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.first == "listening", let port = Int(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            process.terminate()
            throw ValidationError("unexpected first line from the fake provider: \(String(decoding: line, as: UTF8.self))")
        }
        self.process = process
        self.baseURL = "http://127.0.0.1:\(port)/v1"
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
