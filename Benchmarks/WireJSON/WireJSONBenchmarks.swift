import Benchmark
import Contracts
import Foundation

/// A memorize.v1 job as the gateway publishes it: a short conversation with timestamps,
/// which run through WireJSON's own RFC 3339 formatter and parser.
let envelope = JobEnvelope(
    id: "01JQ8Z7X4M2V9K3T6R5B1N0C8E",
    tenantID: "tenant-acme",
    createdAt: Date(timeIntervalSince1970: 1_773_480_420.25),
    trace: TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "memgrid=gw"),
    payload: MemorizeJob(
        userID: "user-123",
        agentID: "agent-support",
        messages: [
            .init(role: .user, content: "I moved to Berlin last month.", createdAt: Date(timeIntervalSince1970: 1_773_480_310.25), name: "Ana", id: "msg-1"),
            .init(role: .assistant, content: "Noted! How do you like Berlin so far?"),
            .init(role: .user, content: "Love it, but I still need a dentist near Prenzlauer Berg.", id: "msg-3"),
            .init(role: .assistant, content: "I'll keep that in mind. Anything else you'd like me to remember?"),
            .init(role: .user, content: "Remind me on Friday at 3pm to call the landlord about the heating.", id: "msg-5"),
            .init(role: .assistant, content: "Done: a reminder for Friday at 15:00 to call your landlord."),
        ],
        resourceID: "conv-9f1",
        occurredAt: Date(timeIntervalSince1970: 1_773_480_300),
        timeZone: "Europe/Berlin"))

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal])

    // A fresh encoder and decoder each time, as publishers and JobRouter make them.
    Benchmark("WireJSON encode memorize.v1 envelope") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try WireJSON.encoder().encode(envelope))
        }
    }

    Benchmark("WireJSON decode memorize.v1 envelope") { benchmark, body in
        for _ in benchmark.scaledIterations {
            blackHole(try WireJSON.decoder().decode(JobEnvelope<MemorizeJob>.self, from: body))
        }
    } setup: {
        try WireJSON.encoder().encode(envelope)
    }
}
