import Cache
import Synchronization

/// Every provider's RPM and TPM buckets in Redis, shared by all replicas. One Lua script
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

    /// Deducts one request and `tokens` and returns `.zero` when both buckets have room;
    /// otherwise deducts nothing and returns how long until both would.
    func take(_ limits: ProviderLimits, tokens: Int) async throws -> Duration {
        .milliseconds(try await run(limits, requests: 1, tokens: tokens, force: false))
    }

    /// Charges `tokens` more to the TPM bucket (fewer when negative), below zero if need be.
    func adjust(_ limits: ProviderLimits, tokens: Int) async throws {
        _ = try await run(limits, requests: 0, tokens: tokens, force: true)
    }

    private func run(_ limits: ProviderLimits, requests: Int, tokens: Int, force: Bool) async throws -> Int64 {
        let keys = [RedisArgument("\(keyPrefix):\(limits.provider)")]
        let arguments = [
            RedisArgument(limits.rpm ?? 0), RedisArgument(limits.tpm ?? 0),
            RedisArgument(requests), RedisArgument(tokens), RedisArgument(force ? 1 : 0),
        ]
        let reply: RedisValue
        do {
            reply = try await redis.evalsha(try await loadedSHA(), keys: keys, arguments: arguments)
        } catch let error as RedisClient.Error where error.code == .server && error.message.hasPrefix("NOSCRIPT") {
            scriptSHA.withLock { $0 = nil }
            reply = try await redis.evalsha(try await loadedSHA(), keys: keys, arguments: arguments)
        }
        guard case .integer(let milliseconds) = reply else {
            throw RedisClient.Error(code: .unexpectedReply, message: "the rate-limit script did not return an integer")
        }
        return milliseconds
    }

    /// Concurrent first callers may each load the script: harmless, the SHA1 is the same.
    private func loadedSHA() async throws -> String {
        if let sha = scriptSHA.withLock({ $0 }) { return sha }
        let sha = try await redis.scriptLoad(Self.script)
        scriptSHA.withLock { $0 = sha }
        return sha
    }

    /// KEYS[1]: one provider's buckets, a hash {r = requests left, t = tokens left, ts = ms}.
    /// ARGV: rpm, tpm (0 = no such bucket), requests, tokens, force (1 = a correction:
    /// deduct even below zero, or refund when negative). Returns 0 once deducted, else the ms
    /// until both buckets would have room.
    static let script = """
        local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
        local requests, tokens = tonumber(ARGV[3]), tonumber(ARGV[4])
        if rpm == 0 then requests = 0 end
        if tpm == 0 then tokens = 0 end
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
        local stored = redis.call('HMGET', KEYS[1], 'r', 't', 'ts')
        local elapsed = math.max(0, now - (tonumber(stored[3]) or now))
        -- A missing level is a full bucket; refill at capacity per minute, up to capacity.
        local function level(value, capacity)
          return math.min(capacity, (tonumber(value) or capacity) + elapsed * capacity / 60000)
        end
        local r, t = level(stored[1], rpm), level(stored[2], tpm)
        if ARGV[5] ~= '1' then
          local wait = 0
          if r < requests then wait = (requests - r) * 60000 / rpm end
          if t < tokens then wait = math.max(wait, (tokens - t) * 60000 / tpm) end
          -- Capped at an hour so a huge debt stays a sane integer; a caller still waiting asks again.
          if wait > 0 then return math.ceil(math.min(wait, 3600000)) end
        end
        r, t = r - requests, math.min(tpm, t - tokens)
        -- Full buckets equal a missing key, so keep the state only until both are full again.
        local untilFull = 0
        if rpm > 0 then untilFull = (rpm - r) * 60000 / rpm end
        if tpm > 0 then untilFull = math.max(untilFull, (tpm - t) * 60000 / tpm) end
        redis.call('HSET', KEYS[1], 'r', r, 't', t, 'ts', now)
        redis.call('PEXPIRE', KEYS[1], math.ceil(math.min(untilFull, 3600000)) + 60000)
        return 0
        """
}
