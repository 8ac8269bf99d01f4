import Contracts
import Testing
import W3CTraceContext

/// `TraceContext.ids` slices what it can and parses the rest: its answer must be the
/// W3C parser's for every value, valid or not.
@Suite struct TraceContextTests {
    static let values = [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "",
        "not a traceparent",
    ]

    @Test(arguments: values) func idsAreTheParsersIDs(_ value: String) {
        let parsed = try? W3CTraceContext.TraceContext(traceParentHeaderValue: value, traceStateHeaderValue: nil)
        let ids = TraceContext(traceparent: value).ids
        #expect(ids?.trace == parsed.map { "\($0.traceID)" })
        #expect(ids?.span == parsed.map { "\($0.spanID)" })
    }

    @Test func newContextsAndChildrenKeepTheirIDs() {
        for _ in 0..<100 {
            let context = TraceContext.start()
            let child = context.child()
            let parsed = try? W3CTraceContext.TraceContext(traceParentHeaderValue: child.traceparent, traceStateHeaderValue: nil)
            #expect(child.ids?.trace == context.ids?.trace)
            #expect(child.ids?.span == parsed.map { "\($0.spanID)" })
            #expect(child.ids?.span != context.ids?.span)
        }
    }
}
