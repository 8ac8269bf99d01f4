/// Requests and tokens, as a call needs them or a lease holds them. A bucket the provider
/// does not limit counts zero.
struct QuotaAmount: Sendable, Hashable {
    var requests: Int
    var tokens: Int

    static let zero = QuotaAmount(requests: 0, tokens: 0)

    static func + (lhs: QuotaAmount, rhs: QuotaAmount) -> QuotaAmount {
        QuotaAmount(requests: lhs.requests + rhs.requests, tokens: lhs.tokens + rhs.tokens)
    }

    static func - (lhs: QuotaAmount, rhs: QuotaAmount) -> QuotaAmount {
        QuotaAmount(requests: lhs.requests - rhs.requests, tokens: lhs.tokens - rhs.tokens)
    }

    func covers(_ need: QuotaAmount) -> Bool { requests >= need.requests && tokens >= need.tokens }
}

/// A block of capacity this process took from the shared buckets in one Redis call, granted
/// to calls locally until it runs out or expires.
///
/// A lease is used for at most `lifetime` after Redis granted it, so all replicas together
/// never grant more in any window than the shared buckets allowed in that window stretched
/// by `lifetime`. Whatever is left when the next lease is taken (unused capacity, expired or
/// not, and the token corrections of finished calls) goes back to Redis in that same call.
///
/// A lease running low is renewed before it runs out (`runsLow`): the next block is asked
/// for while this one still grants, so calls of a busy replica do not wait for a round
/// trip (those of a cold one go on credit instead: `borrow`). The
/// block it replaces stays usable until its own expiry (`earlier`), and the two together
/// never hold more than one block may (`blockSize`'s `holding`).
struct QuotaLease {
    /// How long a lease may be granted from (one second; tests stretch it).
    let lifetime: Duration
    /// A lease holds at most this share of a per-minute limit (or one call's need, if more),
    /// so replicas sharing a low limit each hold only a little of it.
    static let largestShare = 10

    /// Left to grant. `tokens` drops below zero when calls used more than their estimates.
    private(set) var balance = QuotaAmount.zero
    /// Granted on credit (`borrow`), not yet charged to Redis.
    private(set) var owed = QuotaAmount.zero
    /// What the shared buckets held after the last lease call; nil before the first.
    private var room: QuotaAmount?
    private var expiresAt: ContinuousClock.Instant?
    /// The block a renewal replaced, granted from first until its own expiry.
    private var earlier: (balance: QuotaAmount, expiresAt: ContinuousClock.Instant)?
    private var demand: Demand

    init(lifetime: Duration = .seconds(1)) {
        self.lifetime = lifetime
        demand = Demand(window: lifetime)
    }

    /// Takes `need` from the lease when it is still valid and holds enough.
    mutating func take(_ need: QuotaAmount, now: ContinuousClock.Instant) -> Bool {
        if var block = earlier, now < block.expiresAt, block.balance.covers(need) {
            block.balance = block.balance - need
            earlier = block
        } else if let expiresAt, now < expiresAt, balance.covers(need) {
            balance = balance - need
        } else {
            return false
        }
        demand.record(need, now: now)
        return true
    }

    /// A replica may owe the shared buckets at most this share of a per-minute limit.
    static let creditShare = 100

    /// When the lease cannot grant `need`, grants it on credit against the room the last
    /// lease call reported, with at most `creditShare` of the limit owed at once, so that a
    /// burst reaching a cold replica, or outgrowing its block, does not wait for a round
    /// trip. The next lease call charges the credit to the shared buckets (`answered`), so
    /// the count stays exact. Only other replicas' calls since that report can make it run
    /// ahead of the limit, by at most that share. No credit before the first report, while
    /// calls used more tokens than the lease holds, or for a limit too low for a call to fit
    /// in its share.
    mutating func borrow(_ need: QuotaAmount, limits: ProviderLimits, now: ContinuousClock.Instant) -> Bool {
        guard let room, balance.tokens >= 0 else { return false }
        func fits(_ owed: Int, _ need: Int, _ room: Int, limit: Int?) -> Bool {
            guard let limit, need > 0 else { return true }
            return owed + need <= min(room, limit / Self.creditShare)
        }
        guard fits(owed.requests, need.requests, room.requests, limit: limits.rpm),
              fits(owed.tokens, need.tokens, room.tokens, limit: limits.tpm)
        else { return false }
        owed = owed + need
        demand.record(need, now: now)
        return true
    }

    /// A lease call charged `owed` of the credit to the shared buckets and left them
    /// holding `room`.
    mutating func answered(charging owed: QuotaAmount, room: QuotaAmount) {
        self.owed = self.owed - owed
        self.room = room
    }

    /// Whether to ask for the next block now, while this one still grants: it is in its
    /// last quarter of life or holds less than a quarter of the recent demand.
    func runsLow(now: ContinuousClock.Instant) -> Bool {
        guard let expiresAt, now < expiresAt else { return false }
        let recent = demand.recent(now: now)
        return expiresAt - now < lifetime / 4
            || balance.requests * 4 < recent.requests || balance.tokens * 4 < recent.tokens
    }

    /// Gives back the earlier block, if any, with the renewal call: the block that call
    /// brings will take over as the current one's successor.
    mutating func retireEarlier() -> QuotaAmount {
        defer { earlier = nil }
        return earlier?.balance ?? .zero
    }

    /// A renewal's block arrived: it becomes the current block, and the current one the
    /// earlier block, granted from until its own expiry.
    mutating func renew(_ granted: QuotaAmount, now: ContinuousClock.Instant) {
        if let expiresAt {
            // Tokens used beyond the estimates stay owed by the new block: nothing is
            // granted until they are covered.
            let debt = QuotaAmount(requests: 0, tokens: min(0, balance.tokens))
            earlier = (balance - debt + retireEarlier(), expiresAt)
            balance = granted + debt
        } else {
            // Never stocked: the balance holds only corrections, still to be settled.
            balance = balance + granted
        }
        expiresAt = now + lifetime
    }

    /// A finished call's actual minus estimated tokens: charged (or refunded, when negative)
    /// to the balance, and so to Redis with the next lease call.
    mutating func correct(tokens: Int) {
        balance.tokens -= tokens
    }

    /// Empties the lease; returns what goes back to the shared buckets.
    mutating func surrender() -> QuotaAmount {
        defer {
            balance = .zero
            expiresAt = nil
            earlier = nil
        }
        return balance + (earlier?.balance ?? .zero)
    }

    /// Adds a block Redis granted; the lease is valid for `lifetime` from now.
    mutating func stock(_ granted: QuotaAmount, now: ContinuousClock.Instant) {
        balance = balance + granted
        expiresAt = now + lifetime
    }

    /// The block to ask for when `queued` waits (its head needing `need`): what is queued
    /// plus what was granted over about the last `lifetime`, at most a tenth of the limit
    /// less what the lease still holds (`holding`, when renewing ahead).
    func blockSize(
        need: QuotaAmount, queued: QuotaAmount, limits: ProviderLimits, now: ContinuousClock.Instant, holding: QuotaAmount = .zero
    ) -> QuotaAmount {
        let recent = demand.recent(now: now)
        func size(_ need: Int, _ wanted: Int, _ held: Int, limit: Int?) -> Int {
            guard let limit else { return 0 }
            return min(max(need, wanted), max(need, limit / Self.largestShare - max(0, held)))
        }
        return QuotaAmount(
            requests: size(need.requests, queued.requests + recent.requests, holding.requests, limit: limits.rpm),
            tokens: size(need.tokens, queued.tokens + recent.tokens, holding.tokens, limit: limits.tpm))
    }
}

extension QuotaLease {
    /// What the lease granted in the current and the previous `window` (its lifetime).
    private struct Demand {
        let window: Duration
        private var windowStart: ContinuousClock.Instant?
        private var current = QuotaAmount.zero
        private var previous = QuotaAmount.zero

        init(window: Duration) { self.window = window }

        mutating func record(_ amount: QuotaAmount, now: ContinuousClock.Instant) {
            roll(now: now)
            current = current + amount
        }

        func recent(now: ContinuousClock.Instant) -> QuotaAmount {
            var copy = self
            copy.roll(now: now)
            return copy.current + copy.previous
        }

        private mutating func roll(now: ContinuousClock.Instant) {
            guard let start = windowStart else {
                windowStart = now
                return
            }
            let elapsed = now - start
            guard elapsed >= window else { return }
            previous = elapsed < window * 2 ? current : .zero
            current = .zero
            windowStart = now
        }
    }
}
