import Cache
import Synchronization

/// Every provider's RPM and TPM buckets in Redis, shared by all replicas, which lease blocks
/// of capacity from them (`QuotaLease`). One Lua script settles what a replica gives back,
/// refills, checks and deducts both buckets atomically on Redis' clock, so replicas with
/// skewed clocks agree. `LocalTokenBuckets` is the same algorithm in process.
final class RedisTokenBuckets: Sendable {
    private let redis: RedisClient
    private let keyPrefix: String
    /// The script's SHA1 once loaded; reloaded on NOSCRIPT (Redis restarted or flushed).
    private let scriptSHA = Mutex<String?>(nil)

    init(redis: RedisClient, keyPrefix: String) {
        self.redis = redis
        self.keyPrefix = keyPrefix
    }

    /// What one lease call got: a block of capacity, or (when not even `need` was there) the
    /// time until it would be; and what the buckets held after it.
    struct Lease: Sendable {
        var granted: QuotaAmount
        var wait: Duration
        var room: QuotaAmount
    }

    /// In one atomic step: gives `returning` back (a negative token count charges them),
    /// then grants between `need` and `want` (as much as the buckets hold), or nothing and
    /// the time until `need` would fit.
    func lease(_ limits: ProviderLimits, need: QuotaAmount, want: QuotaAmount, returning: QuotaAmount) async throws -> Lease {
        let keys = [RedisArgument("\(keyPrefix):\(limits.provider)")]
        let arguments = [
            RedisArgument(limits.rpm ?? 0), RedisArgument(limits.tpm ?? 0),
            RedisArgument(need.requests), RedisArgument(need.tokens),
            RedisArgument(want.requests), RedisArgument(want.tokens),
            RedisArgument(returning.requests), RedisArgument(returning.tokens),
        ]
        let reply: RedisValue
        do {
            reply = try await redis.evalsha(try await loadedSHA(), keys: keys, arguments: arguments)
        } catch let error as RedisClient.Error where error.code == .server && error.message.hasPrefix("NOSCRIPT") {
            scriptSHA.withLock { $0 = nil }
            reply = try await redis.evalsha(try await loadedSHA(), keys: keys, arguments: arguments)
        }
        guard case .array(let values) = reply, values.count == 5,
              case .integer(let requests) = values[0], case .integer(let tokens) = values[1],
              case .integer(let milliseconds) = values[2], case .integer(let roomRequests) = values[3],
              case .integer(let roomTokens) = values[4]
        else {
            throw RedisClient.Error(code: .unexpectedReply, message: "the rate-limit script did not return five integers")
        }
        return Lease(
            granted: QuotaAmount(requests: Int(requests), tokens: Int(tokens)), wait: .milliseconds(milliseconds),
            room: QuotaAmount(requests: Int(roomRequests), tokens: Int(roomTokens)))
    }

    /// Concurrent first callers may each load the script: harmless, the SHA1 is the same.
    private func loadedSHA() async throws -> String {
        if let sha = scriptSHA.withLock({ $0 }) { return sha }
        let sha = try await redis.scriptLoad(Self.script)
        scriptSHA.withLock { $0 = sha }
        return sha
    }

    /// KEYS[1]: one provider's buckets, a hash {r = requests left, t = tokens left, ts = ms}.
    /// ARGV: rpm, tpm (0 = no such bucket), the requests and tokens needed, wanted and given
    /// back. Returns {requests granted, tokens granted, ms to wait, requests left, tokens
    /// left}: a grant of at least the need and at most the want, or nothing and the ms until
    /// the need would fit; then what the buckets hold (negative: owed).
    static let script = """
        local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
        local needR, needT = tonumber(ARGV[3]), tonumber(ARGV[4])
        local wantR, wantT = tonumber(ARGV[5]), tonumber(ARGV[6])
        local backR, backT = tonumber(ARGV[7]), tonumber(ARGV[8])
        if rpm == 0 then needR, wantR, backR = 0, 0, 0 end
        if tpm == 0 then needT, wantT, backT = 0, 0, 0 end
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
        local stored = redis.call('HMGET', KEYS[1], 'r', 't', 'ts')
        local elapsed = math.max(0, now - (tonumber(stored[3]) or now))
        -- A missing level is a full bucket; refill at capacity per minute, up to capacity.
        local function level(value, capacity)
          return math.min(capacity, (tonumber(value) or capacity) + elapsed * capacity / 60000)
        end
        -- What comes back was taken earlier and not used; more tokens than a bucket holds
        -- never come back. A negative token count is usage beyond the estimates: charged.
        local r = math.min(rpm, level(stored[1], rpm) + backR)
        local t = math.min(tpm, level(stored[2], tpm) + backT)
        local grantR, grantT, wait = 0, 0, 0
        if r < needR then wait = (needR - r) * 60000 / rpm end
        if t < needT then wait = math.max(wait, (needT - t) * 60000 / tpm) end
        if wait == 0 then
          grantR = math.max(needR, math.min(wantR, math.floor(r)))
          grantT = math.max(needT, math.min(wantT, math.floor(t)))
          r, t = r - grantR, t - grantT
        end
        -- Full buckets equal a missing key, so keep the state only until both are full again.
        local untilFull = 0
        if rpm > 0 then untilFull = (rpm - r) * 60000 / rpm end
        if tpm > 0 then untilFull = math.max(untilFull, (tpm - t) * 60000 / tpm) end
        redis.call('HSET', KEYS[1], 'r', r, 't', t, 'ts', now)
        redis.call('PEXPIRE', KEYS[1], math.ceil(math.min(untilFull, 3600000)) + 60000)
        -- Capped at an hour so a huge debt stays a sane integer; a caller still waiting asks again.
        return {grantR, grantT, math.ceil(math.min(wait, 3600000)), math.floor(r), math.floor(t)}
        """
}
