@testable import LLM
import Synchronization
import Testing
import TestSupport

/// A lease running low is renewed while it still grants, so calls do not wait for the
/// round trip (in a burst, that wait is also a wait for a thread behind the burst).
@Suite("Rate-limit lease renewal")
struct QuotaRenewalTests {
    let limits = ProviderLimits(provider: "renewal-test", rpm: 1000)
    let one = QuotaAmount(requests: 1, tokens: 0)

    @Test("a renewed lease grants from the block it replaced until that one expires, and gives back what is left")
    func renewedBlocks() {
        let start = ContinuousClock.now
        var lease = drawnLease(of: 10, afterTaking: 9, at: start)
        // 1 left against a recent demand of 9: low.
        #expect(lease.runsLow(now: start))
        #expect(lease.blockSize(need: one, queued: .zero, limits: limits, now: start, holding: lease.balance).requests == 9)

        lease.renew(QuotaAmount(requests: 10, tokens: 0), now: start + .milliseconds(100))
        #expect(!lease.runsLow(now: start + .milliseconds(100)))
        // The earlier block's last one goes first, then the new block's.
        for _ in 0..<3 { expectTaken(&lease, at: start + .milliseconds(200)) }
        #expect(lease.balance.requests == 8)
        // Past the earlier block's second, only the new block grants.
        expectTaken(&lease, at: start + .milliseconds(1050))
        #expect(lease.balance.requests == 7)
        expectTaken(&lease, at: start + .milliseconds(1150), false)
        let returned = lease.surrender()
        #expect(returned == QuotaAmount(requests: 7, tokens: 0))
    }

    @Test("a block held at renewal counts against the tenth of the limit a replica may hold")
    func renewalRespectsTheShare() {
        let start = ContinuousClock.now
        let lease = drawnLease(of: 100, afterTaking: 90, at: start)
        // Wanted: 50 queued + 90 recent; allowed: a tenth of 1000 less the 10 still held.
        let block = lease.blockSize(need: one, queued: QuotaAmount(requests: 50, tokens: 0), limits: limits, now: start, holding: lease.balance)
        #expect(block.requests == 100 - 10)
    }

    /// A lease stocked with `requests` at `now`, `taken` of them granted one by one.
    private func drawnLease(of requests: Int, afterTaking taken: Int, at now: ContinuousClock.Instant) -> QuotaLease {
        var lease = QuotaLease(lifetime: .seconds(1))
        lease.stock(QuotaAmount(requests: requests, tokens: 0), now: now)
        for _ in 0..<taken { expectTaken(&lease, at: now) }
        return lease
    }

    private func expectTaken(_ lease: inout QuotaLease, at now: ContinuousClock.Instant, _ expected: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        let taken = lease.take(one, now: now)
        #expect(taken == expected, sourceLocation: sourceLocation)
    }

    @Test("calls go on from the lease while its renewal is on the way; the renewal starts before it runs out")
    func noWaitDuringRenewal() async throws {
        let lender = GatedLender(block: QuotaAmount(requests: 40, tokens: 0))
        // Leases that outlive any slowness of a loaded test run: only demand makes them low.
        let quota = SharedQuota(leaseLifetime: .seconds(3600))
        let deadline = ContinuousClock.now + .seconds(30)
        // The first call waits for the first lease.
        async let first = quota.take(one, limits: limits, deadline: deadline, lender: lender)
        try await lender.open(call: 1)
        #expect(try await first == .lease)
        // The refill that served it ends before the renewal can be asked for.
        #expect(await TestBroker.eventually(timeout: .seconds(10)) { !quota.isRefilling })

        // After 32 more, 7 are left against a demand of 33, below a quarter: the renewal
        // is asked for now, not once the lease is empty.
        for _ in 0..<32 {
            #expect(try await quota.take(one, limits: limits, deadline: deadline, lender: lender) == .lease)
        }
        try await lender.waitForCall(2)
        // The renewal is held: what is left is granted at once all the same.
        for _ in 32..<39 {
            #expect(try await quota.take(one, limits: limits, deadline: deadline, lender: lender) == .lease)
        }
        #expect(lender.calls == 2)
        try await lender.open(call: 2)
        try await lender.waitUntilAnswered(2)
        #expect(try await quota.take(one, limits: limits, deadline: deadline, lender: lender) == .lease)
    }

    @Test("once the room in the buckets is known, a burst starts on credit, charged with the next lease call")
    func burstOnCredit() async throws {
        let lender = GatedLender(block: QuotaAmount(requests: 40, tokens: 0))
        let quota = SharedQuota(leaseLifetime: .seconds(3600))
        let deadline = ContinuousClock.now + .seconds(30)
        async let primed: Void = quota.prime(limits, lender: lender)
        try await lender.open(call: 1)
        await primed

        // A hundredth of 1000 a minute may be owed: ten calls go at once while the lease call
        // that charges them is held; the eleventh waits for it.
        for _ in 0..<10 {
            #expect(try await quota.take(one, limits: limits, deadline: deadline, lender: lender) == .lease)
        }
        try await lender.waitForCall(2)
        async let eleventh = quota.take(one, limits: limits, deadline: deadline, lender: lender)
        try await Task.sleep(for: .milliseconds(100))
        #expect(lender.calls == 2)
        try await lender.open(call: 2)
        #expect(try await eleventh == .lease)
        // The first credit was owed when the call went out; the rest is charged with the next.
        #expect(lender.returned[1].requests < 0)
    }
}

/// Grants a fixed block per lease call, each call held until the test opens it.
private final class GatedLender: QuotaLender {
    private struct State {
        var calls = 0
        var answered = 0
        var returned: [QuotaAmount] = []
        var opened: Set<Int> = []
        var gates: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let block: QuotaAmount
    private let state = Mutex(State())

    init(block: QuotaAmount) { self.block = block }

    var calls: Int { state.withLock { $0.calls } }
    /// What each lease call gave back (negative: charged).
    var returned: [QuotaAmount] { state.withLock { $0.returned } }
    var isOut: Bool { false }
    func mayAsk() -> Bool { true }
    func grantedLocally() {}

    func lease(_ limits: ProviderLimits, need: QuotaAmount, want: QuotaAmount, returning: QuotaAmount) async -> RedisTokenBuckets.Lease? {
        let call = state.withLock { state in
            state.calls += 1
            state.returned.append(returning)
            return state.calls
        }
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if state.opened.contains(call) { return true }
                state.gates[call] = continuation
                return false
            }
            if open { continuation.resume() }
        }
        state.withLock { $0.answered += 1 }
        return RedisTokenBuckets.Lease(granted: block, wait: .zero, room: block)
    }

    func open(call: Int) async throws {
        try await waitForCall(call)
        let gate = state.withLock { state in
            state.opened.insert(call)
            return state.gates.removeValue(forKey: call)
        }
        gate?.resume()
    }

    func waitForCall(_ call: Int) async throws {
        try await until { $0.calls >= call }
    }

    func waitUntilAnswered(_ call: Int) async throws {
        // Answered, and its grant stocked: stocking follows the answer within the same task.
        try await until { $0.answered >= call }
        try await Task.sleep(for: .milliseconds(50))
    }

    private func until(_ condition: @Sendable (State) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !state.withLock({ condition($0) }) {
            guard ContinuousClock.now < deadline else { throw GateTimeout() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private struct GateTimeout: Error {}
}
