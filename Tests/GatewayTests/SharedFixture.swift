import Testing
import TestSupport

/// A full system shared by the suites that run at the same time: the first suite to hold
/// it starts it, the last to let go stops it and waits for the stop. So none of its work
/// outlives the tests, which matters beyond tidiness: an embedding still in flight when
/// the test process exits crashes it (oneDNN's static destructors free the kernel code
/// under the running thread).
actor SharedFixture {
    private let make: @Sendable () async throws -> GatewayFixture
    private var started: Task<GatewayFixture, any Error>?
    private var holders = 0

    init(_ make: @escaping @Sendable () async throws -> GatewayFixture) {
        self.make = make
    }

    /// The running system, ready; only inside a suite that holds this fixture.
    var fixture: GatewayFixture {
        get async throws {
            guard let started else { throw TestFailure("the suite does not hold this shared fixture (add `.holding(…)`)") }
            let fixture = try await started.value
            try await fixture.waitUntilReady()
            return fixture
        }
    }

    fileprivate func hold() {
        holders += 1
        if started == nil { started = Task { [make] in try await make() } }
    }

    fileprivate func release() async {
        holders -= 1
        guard holders == 0, let running = started else { return }
        started = nil
        if let fixture = try? await running.value { await fixture.stop() }
    }
}

/// Holds a shared fixture for the whole run of the suite it marks.
struct HoldingTrait: SuiteTrait, TestScoping {
    let shared: SharedFixture

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await shared.hold()
        do {
            try await function()
        } catch {
            await shared.release()
            throw error
        }
        await shared.release()
    }
}

extension Trait where Self == HoldingTrait {
    /// The suite's tests use `shared`, which stays up until the suite ends.
    static func holding(_ shared: SharedFixture) -> Self { HoldingTrait(shared: shared) }
}
