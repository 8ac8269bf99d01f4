import Testing
@testable import WorkerRuntime

@Suite("Readiness checks")
struct ReadinessTests {
    @Test("a hanging check reads as not ready at its deadline instead of hanging the probe")
    func hangingCheck() async {
        let readiness = Readiness(timeout: .milliseconds(100))
        readiness.add("fine") { true }
        readiness.add("hangs") {
            // Ignores cancellation, like a client stuck waiting for a connection.
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return true
        }
        readiness.add("down") { false }
        let results = await readiness.evaluate()
        #expect(results.map(\.name) == ["fine", "hangs", "down"])
        #expect(results.map(\.ready) == [true, false, false])
    }
}
