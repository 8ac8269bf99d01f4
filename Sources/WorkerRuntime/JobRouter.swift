public import Contracts
import Foundation
public import Logging
import Synchronization
import Tracing

/// What a handler learns about the delivery besides the payload.
public struct JobContext: Sendable {
    /// 1 for the first delivery of a job; retries count up.
    public let attempt: Int
    /// The broker delivered this message before (a consumer died before acking it).
    public let redelivered: Bool
    /// Carries `job.id`, `job.type` and `tenant.id` metadata.
    public let logger: Logger
    let facts = JobFacts()

    /// Adds small facts about the result to the job's `job.completed` event
    /// (its `summary`, e.g. `memories_created`).
    public func summarize(_ facts: [String: String]) {
        self.facts.merge(facts)
    }
}

/// What handlers tell `job.completed` about their result.
final class JobFacts: Sendable {
    private let facts = Mutex<[String: String]>([:])

    func merge(_ new: [String: String]) {
        facts.withLock { $0.merge(new) { _, last in last } }
    }

    var summary: [String: String]? {
        facts.withLock { $0.isEmpty ? nil : $0 }
    }
}

/// A handler for one job type. Handlers must be idempotent: a job can be delivered
/// more than once, and its effect must be applied once.
public protocol JobHandler: Sendable {
    associatedtype Payload: Codable & Sendable
    var type: JobType { get }
    func handle(_ job: JobEnvelope<Payload>, context: JobContext) async throws
}

/// A handler for one event type a work queue subscribes to. Events arrive at least
/// once: handlers deduplicate on the event id or apply idempotent effects.
public protocol EventHandler: Sendable {
    associatedtype Payload: EventPayload
    func handle(_ event: EventEnvelope<Payload>, context: JobContext) async throws
}

/// Maps AMQP `type` properties (`embed.v1`) to handlers, decoding each payload once.
public struct JobRouter: Sendable {
    /// Handles one message; a job's entry returns its `job.completed` event, an event's nil.
    typealias Entry = @Sendable (Data, _ attempt: Int, _ redelivered: Bool, Logger) async throws -> EventEnvelope<JobCompleted>?
    private var entries: [String: Entry] = [:]

    public init() {}

    public mutating func register<Handler: JobHandler>(_ handler: Handler) {
        register(handler, validate: nil)
    }

    /// Payloads from the catalog are validated (envelope and payload rules) before the
    /// handler runs; a violation dead-letters the job as `invalid`.
    public mutating func register<Handler: JobHandler>(_ handler: Handler) where Handler.Payload: JobPayload {
        register(handler) { job in
            do {
                try job.validate()
            } catch let error as ContractError {
                throw JobFailure.invalid(error.description)
            }
        }
    }

    private mutating func register<Handler: JobHandler>(
        _ handler: Handler, validate: (@Sendable (JobEnvelope<Handler.Payload>) throws -> Void)?
    ) {
        let type = handler.type
        entries[type.description] = { body, attempt, redelivered, logger in
            guard !WireJSON.containsNUL(body) else {
                throw JobFailure.invalid("a string holds a NUL (U+0000) character, which cannot be stored")
            }
            let job: JobEnvelope<Handler.Payload>
            do {
                job = try WireJSON.shared.decoder.decode(JobEnvelope<Handler.Payload>.self, from: body)
            } catch {
                throw DecodingFailure(error)
            }
            guard job.kind == type.kind, job.version == type.version else {
                throw JobFailure.invalid("envelope says \(job.typeName) but the message type is \(type)")
            }
            try validate?(job)
            var logger = logger
            logger[metadataKey: "job.id"] = "\(job.id)"
            logger[metadataKey: "tenant.id"] = "\(job.tenantID)"
            let context = try await Self.handling(type, trace: job.trace) { _ in
                var logger = logger
                logger.trace(TraceContext.current)
                let context = JobContext(attempt: max(attempt, job.attempt), redelivered: redelivered, logger: logger)
                try await handler.handle(job, context: context)
                return context
            }
            // Its id derives from the job's, so a redelivered job's event deduplicates.
            return EventEnvelope(
                id: "\(job.id):\(EventCatalog.jobCompleted.name)", tenantID: job.tenantID, correlationID: job.id, trace: TraceContext.current ?? job.trace,
                payload: JobCompleted(
                    jobID: job.id, jobType: type.description, attempts: context.attempt, summary: context.facts.summary))
        }
    }

    /// Events a queue subscribes to (`Topology.subscriptions`) are handled like jobs:
    /// the same retries and dead letters.
    public mutating func register<Handler: EventHandler>(_ handler: Handler) {
        let type = Handler.Payload.type
        entries[type.description] = { body, attempt, redelivered, logger in
            let event: EventEnvelope<Handler.Payload>
            do {
                event = try WireJSON.shared.decoder.decode(EventEnvelope<Handler.Payload>.self, from: body)
            } catch {
                throw DecodingFailure(error)
            }
            guard event.type == type.name, event.version == type.version else {
                throw JobFailure.invalid("envelope says \(event.typeName) but the message type is \(type)")
            }
            var logger = logger
            logger[metadataKey: "event.id"] = "\(event.id)"
            logger[metadataKey: "tenant.id"] = "\(event.tenantID)"
            try await handler.handle(event, context: JobContext(attempt: attempt, redelivered: redelivered, logger: logger))
            return nil
        }
    }

    public var types: [String] { entries.keys.sorted() }

    /// The handler's run as a span of the delivery's trace (`JobWorker` continued it from
    /// the AMQP headers), or, for a publisher that set only the envelope's trace, as the
    /// hop that continues it.
    private static func handling<T>(
        _ type: JobType, trace: TraceContext?, _ body: ((any Span)?) async throws -> T
    ) async throws -> T {
        if TraceContext.current != nil { return try await Telemetry.withSpan("handle \(type)", body) }
        return try await Telemetry.withHop("process \(type)", kind: .consumer, parent: trace, body)
    }

    func entry(for type: String) -> Entry? { entries[type] }
}

/// The body did not decode as the handler's envelope.
struct DecodingFailure: Error {
    let underlying: any Error
    init(_ underlying: any Error) { self.underlying = underlying }

    /// A short description that names the failing field but never echoes the body.
    var summary: String {
        switch underlying {
        case DecodingError.keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(path(context.codingPath))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at '\(path(context.codingPath))'"
        default:
            return "undecodable body"
        }
    }

    private func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
