public import Contracts
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An OpenAI-compatible `POST /v1/chat/completions` provider on 127.0.0.1, for tests and
/// the benchmark: the one external service memgrid cannot run locally. Each request
/// takes the next scripted `Behaviour`, or once the script is used up asks the
/// responder (by default: always the same behaviour). Every answer waits `delay` first.
/// Held requests are suspended tasks, so thousands in flight cost little.
public final class FakeOpenAIServer: Sendable {
    private struct State {
        var script: [Behaviour]
        var port: Int?
        var requestCount = 0
        var requests: [ChatRequest] = []
        var authorizations: [String?] = []
        var traceparents: [String?] = []
        var arrivals: [ContinuousClock.Instant] = []
        var inFlight = 0
        var peakInFlight = 0
    }

    /// Added before every answer: the provider's own latency.
    public let delay: Duration
    private let recordsRequests: Bool
    private let responder: @Sendable (ChatRequest) -> Behaviour
    private let state: Mutex<State>

    /// Answers by request (e.g. by prompt) once `script` is used up. With
    /// `recordsRequests` false only counts are kept, for long runs.
    public init(
        script: [Behaviour] = [], delay: Duration = .zero, recordsRequests: Bool = true,
        responder: @escaping @Sendable (ChatRequest) -> Behaviour
    ) {
        self.delay = delay
        self.recordsRequests = recordsRequests
        self.responder = responder
        self.state = Mutex(State(script: script))
    }

    public convenience init(
        script: [Behaviour] = [], default behaviour: Behaviour = .standardReply, delay: Duration = .zero,
        recordsRequests: Bool = true
    ) {
        self.init(script: script, delay: delay, recordsRequests: recordsRequests) { _ in behaviour }
    }

    /// Appends to the script.
    public func enqueue(_ behaviours: Behaviour...) {
        state.withLock { $0.script += behaviours }
    }

    /// `http://127.0.0.1:<port>/v1`, once listening.
    public var baseURL: String {
        guard let port = state.withLock({ $0.port }) else { preconditionFailure("FakeOpenAIServer is not listening yet") }
        return "http://127.0.0.1:\(port)/v1"
    }

    public var requestCount: Int { state.withLock { $0.requestCount } }
    /// The decoded bodies, in arrival order.
    public var requests: [ChatRequest] { state.withLock { $0.requests } }
    /// Each request's `Authorization` header, nil where there was none.
    public var authorizations: [String?] { state.withLock { $0.authorizations } }
    /// Each request's `traceparent` header, nil where there was none.
    public var traceparents: [String?] { state.withLock { $0.traceparents } }
    public var arrivals: [ContinuousClock.Instant] { state.withLock { $0.arrivals } }
    /// Requests being answered now (a stream counts until its body ends).
    public var inFlight: Int { state.withLock { $0.inFlight } }
    public var peakInFlight: Int { state.withLock { $0.peakInFlight } }

    /// Serves on an OS-assigned port while `body` runs.
    public func run<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, listening) = AsyncStream.makeStream(of: Int.self)
            group.addTask {
                defer { listening.finish() }
                try await self.serve { listening.yield($0) }
            }
            guard await ports.first(where: { _ in true }) != nil else {
                try await group.waitForAll()   // surfaces why it never listened
                throw CancellationError()
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Serves until the task is cancelled or the process gets SIGTERM/SIGINT;
    /// `onListening` gets the port once bound (`port` 0 = any free one).
    public func serve(port: Int = 0, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.post("/v1/chat/completions") { request, context -> Response in
            let chat = try await request.decode(as: ChatRequest.self, context: context)
            return try await self.answer(
                chat, authorization: request.headers[.authorization], traceparent: request.headers[.init("traceparent")!])
        }
        // On stderr, so stdout stays the executable's `listening` line. Critical only: a
        // test ends by cancelling the server mid-request, which Hummingbird logs as errors;
        // failures that matter (cannot bind) are thrown.
        var logger = Logger(label: "memgrid.fake-openai") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), backlog: 4096),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                self.state.withLock { $0.port = port }
                onListening(port)
            },
            logger: logger)
        try await app.runService()
    }

    private func answer(_ chat: ChatRequest, authorization: String?, traceparent: String?) async throws -> Response {
        let (behaviour, number) = state.withLock { state in
            state.requestCount += 1
            state.inFlight += 1
            state.peakInFlight = max(state.peakInFlight, state.inFlight)
            if recordsRequests {
                state.requests.append(chat)
                state.authorizations.append(authorization)
                state.traceparents.append(traceparent)
                state.arrivals.append(.now)
            }
            let behaviour = state.script.isEmpty ? nil : state.script.removeFirst()
            return (behaviour, state.requestCount)
        }
        let departed: @Sendable () -> Void = { self.state.withLock { $0.inFlight -= 1 } }
        do {
            try await Task.sleep(for: delay)
            var response = try await Answer(request: chat, id: "chatcmpl-fake-\(number)").response(to: behaviour ?? responder(chat))
            // In flight until the whole body (a stream's last event) is written.
            let body = response.body
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                defer { departed() }
                try await body.write(writer)
            }
            return response
        } catch {
            departed()
            throw error
        }
    }
}
