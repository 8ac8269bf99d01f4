import Cache
import Foundation
import Storage

/// What every LLM worker replica has committed of a tenant's budgets, in Redis: per
/// budget period, settled costs plus the cost ceilings of calls still running, in
/// micro-dollars. A call reserves its ceiling before it starts and only if every budget
/// still has room for it, in one script, so concurrent calls on any replicas cannot
/// overshoot a budget by more than what one call costs beyond its ceiling (nothing, when
/// the provider honours `max_tokens`). The call then settles: its reservation is
/// replaced by what its attempts really cost.
///
/// A period's counter starts from the spend PostgreSQL knows when it is first used, and
/// lives a little longer than the longest period.
struct BudgetLedger: Sendable {
    struct Reservation: Sendable {
        fileprivate var keys: [String]
        fileprivate var micros: Int64

        static let none = Reservation(keys: [], micros: 0)
    }

    /// The budget (index into the statuses) that has no room.
    struct Full: Error {
        let index: Int
        let committedUSD: Double
    }

    let redis: RedisClient
    let prefix: String

    static let ttlSeconds = 40 * 86_400

    func reserve(tenantID: String, statuses: [BudgetRepository.Status], costUSD: Double) async throws -> Reservation {
        guard !statuses.isEmpty else { return .none }
        // One hash tag per tenant: a Redis Cluster keeps the script's keys on one node.
        let keys = statuses.map { "\(prefix):budget:{\(tenantID)}:\($0.period.rawValue):\($0.periodStart)" }
        let micros = Self.micros(costUSD)
        var arguments: [RedisArgument] = [RedisArgument(micros), RedisArgument(Self.ttlSeconds)]
        for status in statuses {
            arguments += [RedisArgument(Self.micros(status.limitUSD)), RedisArgument(Self.micros(status.spentUSD))]
        }
        let reply = try await redis.eval(Self.script, keys: keys.map { RedisArgument($0) }, arguments: arguments)
        guard case .array(let values) = reply, values.count == 2, case .integer(let full) = values[0],
              case .integer(let committed) = values[1]
        else { throw RedisClient.Error(code: .protocolError, message: "unexpected reply to the budget script") }
        if full > 0 { throw Full(index: Int(full) - 1, committedUSD: Double(committed) / 1_000_000) }
        return Reservation(keys: keys, micros: micros)
    }

    /// Replaces the reservation with the call's real cost.
    func settle(_ reservation: Reservation, costUSD: Double) async throws {
        guard !reservation.keys.isEmpty else { return }
        let delta = Self.micros(costUSD) - reservation.micros
        _ = try await redis.pipeline(reservation.keys.map { ["INCRBY", RedisArgument($0), RedisArgument(delta)] })
    }

    static func micros(_ usd: Double) -> Int64 {
        Int64((usd * 1_000_000).rounded(.up))
    }

    /// KEYS: one counter per budget. ARGV: amount, ttl, then limit and known spend per
    /// budget. Returns {0, 0} after reserving, or {i, committed} for the first budget
    /// without room.
    private static let script = """
        local amount = tonumber(ARGV[1])
        for i, key in ipairs(KEYS) do
          redis.call('SET', key, ARGV[2 + 2 * i], 'NX', 'EX', ARGV[2])
          local committed = tonumber(redis.call('GET', key))
          if committed + amount > tonumber(ARGV[1 + 2 * i]) then return {i, committed} end
        end
        for _, key in ipairs(KEYS) do redis.call('INCRBY', key, amount) end
        return {0, 0}
        """
}
