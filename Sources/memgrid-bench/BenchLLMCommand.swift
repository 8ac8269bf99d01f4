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
import LLMWorker
import SystemHarness

/// `make bench-llm`: chat calls through one in-process LLM worker replica (RPC queue →
/// budget check → Redis rate limiter → provider → metering → reply) against a fake
/// provider that answers after a fixed delay, and the same calls straight at the fake
/// with AsyncHTTPClient as the baseline. The RPC client runs in a child process (this
/// command again, with `--client-run`), so the peak RSS measured here is the worker's.
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

    @Option(help: .hidden)
    var clientRun: String?

    func run() async throws {
        var logger = Logger(label: "memgrid.bench")
        logger.logLevel = .warning
        if let clientRun { return try await runClient(run: clientRun, logger: logger) }
        let fake = try FakeProviderProcess(
            executable: fakeServer ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("memgrid-fake-llm").path,
            delayMilliseconds: delayMs)
        defer { fake.stop() }
        print("bench-llm: \(count) chat calls, fake provider at \(fake.baseURL) answering after \(delayMs) ms, worker concurrency \(concurrency)")

        let baseline = try await directCalls(baseURL: fake.baseURL)
        print("baseline (AsyncHTTPClient straight to the fake): \(Int(baseline)) calls/s")

        let run = UUID().uuidString.prefix(8).lowercased()
        let providers = """
            {"providers": [{"name": "fake", "base_url": "\(fake.baseURL)", "rpm": \(withoutRateLimits ? "null" : "10000000"), "tpm": \(withoutRateLimits ? "null" : "10000000000"),
              "max_concurrency": \(concurrency), "timeout_ms": 60000,
              "models": [{"name": "bench-model", "input_per_million": 0.27, "output_per_million": 1.1, "cached_input_per_million": 0.07}]}]}
            """
        let system = try SystemHarness(
            databaseURL: nil, prefix: "bench-\(run)",
            overrides: [
                "MEMGRID_WORKER_CONCURRENCY": String(concurrency), "MEMGRID_LLM_PROVIDERS_FILE": "", "MEMGRID_LLM_PROVIDERS": providers,
                // One tenant makes every call here: its fair-share cap (64 by default) would refuse most of them.
                "MEMGRID_LLM_TENANT_CONCURRENCY": "0",
            ],
            logger: logger)
        let configuration = try system.configuration(.llm)
        let tenant = "bench-\(run)"
        let database = ScratchTenant(url: configuration.process.postgresURL, tenant: tenant, logger: logger)
        try await database.create()
        let admin = BrokerAdmin(configuration: configuration.process.broker)
        let declaration = configuration.process.declaration
        try await admin.declare(declaration)

        let observer = OverheadObserver()
        try system.llmWorker(observer: observer)
        try await system.waitUntilReady(timeout: .seconds(300))

        // From here on the peak RSS is the worker's: the baseline's client ran before, and
        // the RPC client runs in a child process.
        Self.resetPeakRSS()
        let client = try await ClientProcess.run(
            executable: CommandLine.arguments[0],
            arguments: ["llm", "--count", String(count), "--client-run", String(run)],
            environment: system.environment)
        let elapsed = client.elapsed
        let failures = client.failures
        let rss = Self.peakRSSMegabytes()

        await system.stop()
        try? await admin.deleteQueues([declaration.topology.replyQueue(instance: "bench-\(run)")])
        try? await database.drop()

        let rate = Double(count) / elapsed.seconds
        let overhead = observer.percentiles()
        let warm = observer.percentiles(skipping: concurrency)
        print("worker: \(count) calls in \(String(format: "%.2f", elapsed.seconds)) s, \(failures) failed; ratio to baseline \(String(format: "%.2f", rate / baseline))")
        print("bench-llm: \(Int(rate)) jobs/s, \(observer.peak) in flight peak, rss \(rss) MB worker (client process \(client.rss) MB), overhead p50 \(String(format: "%.3f", overhead.p50)) ms p99 \(String(format: "%.3f", overhead.p99)) ms; "
            + "after the first \(concurrency) calls p50 \(String(format: "%.3f", warm.p50)) ms p99 \(String(format: "%.3f", warm.p99)) ms")
    }

    /// The child process: sends the chat calls over RPC, prints `client: <failed> <seconds> <peak RSS MB>`.
    private func runClient(run: String, logger: Logger) async throws {
        let configuration = try WorkerProcessConfiguration(
            queue: .llm, environment: EnvironmentReader(ProcessInfo.processInfo.environment), defaultOperationsPort: 0)
        let topology = configuration.process.declaration.topology
        let publisher = Publisher(configuration: configuration.process.broker, logger: logger)
        publisher.start()
        let rpc = RPCClient(
            configuration: configuration.process.broker, replyQueue: topology.replyQueue(instance: "bench-\(run)"),
            publisher: publisher, logger: logger)
        let replies = Task { await rpc.run() }
        while !rpc.status.isConnected { try await Task.sleep(for: .milliseconds(20)) }
        let call = ChatCall(
            tenantID: "bench-\(run)",
            request: ChatRequest(model: "bench-model", messages: [ChatMessage(role: "user", content: "Say hello in five words.")]))

        let start = ContinuousClock.now
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do {
                        _ = try await rpc.call(call, topology: topology, timeout: .seconds(300))
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return try await group.reduce(into: [String]()) { failures, failure in failure.map { failures.append($0) } }
        }
        if let first = failures.first { FileHandle.standardError.write(Data("first failure: \(first)\n".utf8)) }
        let elapsed = ContinuousClock.now - start
        print("client: \(failures.count) \(elapsed.seconds) \(Self.peakRSSMegabytes())")
        await rpc.close()
        await replies.value
        await publisher.close()
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

    /// Starts the peak resident set (VmHWM) over from the current one.
    static func resetPeakRSS() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// This process's peak resident set (VmHWM).
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

    /// p50 and p99 in milliseconds, of every call or of those that finished after the
    /// first `skipping` (the first burst, which meets a cold worker).
    func percentiles(skipping: Int = 0) -> (p50: Double, p99: Double) {
        let sorted = samples.withLock { $0.dropFirst(skipping) }.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        func at(_ quantile: Double) -> Double {
            sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))] / .milliseconds(1)
        }
        return (at(0.5), at(0.99))
    }
}

/// The benchmark's RPC client as a child process; its result line read once it exits.
private enum ClientProcess {
    struct Result {
        var failures: Int
        var elapsed: Duration
        var rss: Int
    }

    static func run(executable: String, arguments: [String], environment: [String: String]) async throws -> Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-bench-llm-client-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw ValidationError("cannot create \(output.path)")
        }
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: output)
        // Waits for the exit without holding a thread of the cooperative pool.
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0,
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("client: ") }),
              case let words = line.split(separator: " "), words.count == 4,
              let failures = Int(words[1]), let seconds = Double(words[2]), let rss = Int(words[3])
        else {
            throw ValidationError("the bench client exited with status \(status): \(text)")
        }
        return Result(failures: failures, elapsed: .seconds(seconds), rss: rss)
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
