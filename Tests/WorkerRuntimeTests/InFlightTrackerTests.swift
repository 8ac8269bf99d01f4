import Testing
@testable import WorkerRuntime

@Suite("InFlightTracker: what shutdown waits on")
struct InFlightTrackerTests {
    @Test("waiting gives up at the deadline while a handler never finishes")
    func timesOut() async {
        let tracker = InFlightTracker()
        tracker.enter()
        // Bounded by the test itself: without a working deadline this never returns.
        let idle = await tracker.waitUntilIdle(timeout: .milliseconds(50))
        #expect(idle == false)
        tracker.leave()
        #expect(await tracker.waitUntilIdle(timeout: .seconds(5)))
    }

    @Test("waiting returns as soon as the last handler leaves")
    func returnsWhenIdle() async {
        let tracker = InFlightTracker()
        tracker.enter()
        tracker.enter()
        async let idle = tracker.waitUntilIdle(timeout: .seconds(30))
        tracker.leave()
        tracker.leave()
        #expect(await idle)
    }
}
