import Synchronization

/// Where a provider's lease comes from: the shared buckets in Redis, while it is reachable.
protocol QuotaLender: Sendable {
    /// True while Redis is down and another try is not due yet: calls use the local buckets.
    var isOut: Bool { get }
    /// Whether to ask Redis now; while it is down, true about once a second (claiming that try).
    func mayAsk() -> Bool
    /// One lease call (`RedisTokenBuckets.lease`); nil when it failed, and then what was given
    /// back is lost: the shared buckets only under-count it.
    func lease(_ limits: ProviderLimits, need: QuotaAmount, want: QuotaAmount, returning: QuotaAmount) async -> RedisTokenBuckets.Lease?
    /// A call was granted from the local buckets although Redis is configured.
    func grantedLocally()
}

/// One provider's RPM/TPM capacity in this process: the lease taken from the shared buckets,
/// the calls waiting for more, and the buckets that stand in while Redis is out of reach.
///
/// A call with nobody ahead of it is granted from the lease at once, without a round trip,
/// or, when the lease cannot cover it, on credit against the room Redis last reported
/// (`QuotaLease.borrow`, charged with the next lease call, which it starts).
/// Otherwise it queues, and a single refill at a time (the single flight) serves the queue:
/// it gives back what is left of the lease, asks for a block sized for the queue and recent
/// demand, then grants the queued calls in order from it. When the buckets are empty it
/// sleeps until Redis says they have room; callers whose deadline comes earlier give up at
/// once instead of waiting. A lease running low is renewed ahead by that same single
/// flight, so a busy provider's calls rarely queue at all: in a burst, each wait for the
/// round trip is also a wait behind every other task of the burst for a thread.
final class SharedQuota: Sendable {
    enum Source: Sendable {
        case lease
        case local
    }

    private struct Waiter {
        var id: UInt64
        var need: QuotaAmount
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Source?, any Error>
    }

    private struct State {
        var lease: QuotaLease
        var local = LocalTokenBuckets()
        var waiters: [Waiter] = []
        /// A refill task is running; it ends when the queue is empty.
        var refilling = false
        /// While the refill sleeps: nothing is granted before this instant.
        var readyAt: ContinuousClock.Instant?

        /// Grants the head of the queue from the lease, in order, up to the first it cannot.
        mutating func serveFromLease(now: ContinuousClock.Instant) -> [Waiter] {
            var count = 0
            while count < waiters.count, lease.take(waiters[count].need, now: now) { count += 1 }
            return removeFirst(count)
        }

        /// Grants the head of the queue from the local buckets, in order; returns the wait
        /// for the first it cannot grant (zero when it granted all).
        mutating func serveLocally(_ limits: ProviderLimits, now: ContinuousClock.Instant) -> (served: [Waiter], wait: Duration) {
            var count = 0
            var wait = Duration.zero
            while count < waiters.count {
                wait = local.take(limits, tokens: waiters[count].need.tokens, now: now)
                guard wait == .zero else { break }
                count += 1
            }
            return (removeFirst(count), wait)
        }

        private mutating func removeFirst(_ count: Int) -> [Waiter] {
            defer { waiters.removeFirst(count) }
            return Array(waiters.prefix(count))
        }
    }

    private let state: Mutex<State>

    /// - Parameter leaseLifetime: how long a lease grants (`QuotaLease.lifetime`).
    init(leaseLifetime: Duration = .seconds(1)) {
        state = Mutex(State(lease: QuotaLease(lifetime: leaseLifetime)))
    }
    private let nextWaiterID = Atomic<UInt64>(0)

    /// A refill or renewal is under way (the single flight).
    var isRefilling: Bool { state.withLock { $0.refilling } }

    /// Grants `need` from the lease or, with Redis out of reach (or absent: `lender` nil),
    /// from the local buckets, waiting at most until `deadline` once a round trip told it
    /// to wait. Returns nil when there is no capacity in time; throws `CancellationError`.
    func take(
        _ need: QuotaAmount, limits: ProviderLimits, deadline: ContinuousClock.Instant, lender: (any QuotaLender)?
    ) async throws -> Source? {
        let now = ContinuousClock.now
        let local = lender?.isOut ?? true
        let (granted, renew): (Source?, Bool) = state.withLock { state in
            guard state.waiters.isEmpty else { return (nil, false) }
            if state.lease.take(need, now: now) {
                guard !local, !state.refilling, state.lease.runsLow(now: now) else { return (.lease, false) }
                state.refilling = true
                return (.lease, true)
            }
            if !local, state.lease.borrow(need, limits: limits, now: now) {
                guard !state.refilling else { return (.lease, false) }
                state.refilling = true
                return (.lease, true)
            }
            guard local, state.local.take(limits, tokens: need.tokens, now: now) == .zero else { return (nil, false) }
            return (.local, false)
        }
        if renew, let lender { Task(priority: .high) { await self.renew(need, limits: limits, lender: lender) } }
        if let granted {
            if granted == .local { lender?.grantedLocally() }
            return granted
        }

        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Source?, any Error>) in
                enum Action { case wait, refill, expired, cancelled }
                let action: Action = state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    if let readyAt = state.readyAt, deadline < readyAt { return .expired }
                    state.waiters.append(Waiter(id: id, need: need, deadline: deadline, continuation: continuation))
                    guard !state.refilling else { return .wait }
                    state.refilling = true
                    return .refill
                }
                switch action {
                case .wait: break
                case .refill: Task(priority: .high) { await self.refill(limits, lender: lender) }
                case .expired: continuation.resume(returning: nil)
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Learns what the shared buckets hold (a lease call granting nothing), so that the
    /// first calls of a burst may go on credit (`QuotaLease.borrow`).
    func prime(_ limits: ProviderLimits, lender: any QuotaLender) async {
        guard lender.mayAsk(), let lease = await lender.lease(limits, need: .zero, want: .zero, returning: .zero) else { return }
        state.withLock { $0.lease.answered(charging: .zero, room: lease.room) }
    }

    /// A finished call used `tokens` more than its estimate (fewer when negative).
    func correct(tokens: Int, in source: Source, limits: ProviderLimits) {
        state.withLock { state in
            switch source {
            case .lease: state.lease.correct(tokens: tokens)
            case .local: state.local.adjust(limits, tokens: tokens, now: .now)
            }
        }
    }

    // MARK: - The refill

    /// Asks for the next block while the lease still grants (`QuotaLease.runsLow`), then
    /// serves whoever queued meanwhile as a refill does. Runs as the single flight.
    private func renew(_ need: QuotaAmount, limits: ProviderLimits, lender: any QuotaLender) async {
        if lender.mayAsk() {
            let (want, returning, owed) = state.withLock { state in
                let now = ContinuousClock.now
                let queued = state.waiters.reduce(.zero) { $0 + $1.need }
                return (state.lease.blockSize(need: need, queued: queued, limits: limits, now: now, holding: state.lease.balance),
                        state.lease.retireEarlier(), state.lease.owed)
            }
            // No grant (the buckets are empty) leaves the lease as it is: it runs out, and
            // the refill that follows waits for the buckets. The credit is charged either way.
            if let lease = await lender.lease(limits, need: need, want: want, returning: returning - owed) {
                serveQueue { quota, now in
                    if lease.wait == .zero { quota.renew(lease.granted, now: now) }
                    quota.answered(charging: owed, room: lease.room)
                }
            }
        }
        await refill(limits, lender: lender)
    }

    /// Serves the queue until it is empty: one lease call (or local grant round) at a time.
    private func refill(_ limits: ProviderLimits, lender: (any QuotaLender)?) async {
        while true {
            let queue: (head: QuotaAmount, all: QuotaAmount)? = state.withLock { state in
                guard let head = state.waiters.first else {
                    state.refilling = false
                    return nil
                }
                return (head.need, state.waiters.reduce(.zero) { $0 + $1.need })
            }
            guard let queue else { return }

            var wait: Duration?
            if let lender, lender.mayAsk() {
                let (want, returning, owed) = state.withLock { state in
                    (state.lease.blockSize(need: queue.head, queued: queue.all, limits: limits, now: .now),
                     state.lease.surrender(), state.lease.owed)
                }
                if let lease = await lender.lease(limits, need: queue.head, want: want, returning: returning - owed) {
                    serveQueue { quota, now in
                        quota.stock(lease.granted, now: now)
                        quota.answered(charging: owed, room: lease.room)
                    }
                    wait = lease.wait
                }
            }
            if wait == nil {
                let (served, headWait) = state.withLock { $0.serveLocally(limits, now: .now) }
                for waiter in served {
                    lender?.grantedLocally()
                    waiter.continuation.resume(returning: .local)
                }
                wait = headWait
            }
            guard let wait, wait > .zero else { continue }
            await sleep(for: wait)
        }
    }

    /// Puts a block Redis granted into the lease (`add`), then grants the head of the queue
    /// from it, in order.
    private func serveQueue(adding add: (inout QuotaLease, ContinuousClock.Instant) -> Void) {
        let served = state.withLock { state in
            let now = ContinuousClock.now
            add(&state.lease, now)
            return state.serveFromLease(now: now)
        }
        for waiter in served { waiter.continuation.resume(returning: .lease) }
    }

    /// Until the buckets have room for the head of the queue: callers who would wait longer
    /// than their deadline give up now, and so do those arriving meanwhile.
    private func sleep(for wait: Duration) async {
        let ready = ContinuousClock.now + wait
        let expired = state.withLock { state in
            state.readyAt = ready
            let expired = state.waiters.filter { $0.deadline < ready }
            state.waiters.removeAll { $0.deadline < ready }
            return expired
        }
        for waiter in expired { waiter.continuation.resume(returning: nil) }
        // Jitter, so the refills of every replica do not ask Redis at the same instant.
        let wake = ready + min(wait * Double.random(in: 0..<0.1), .milliseconds(100))
        // In steps of at most a second, to stop early when every waiter gave up.
        while ContinuousClock.now < wake, state.withLock({ !$0.waiters.isEmpty }) {
            try? await Task.sleep(until: min(wake, .now + .seconds(1)), clock: .continuous)
        }
        state.withLock { $0.readyAt = nil }
    }
}
