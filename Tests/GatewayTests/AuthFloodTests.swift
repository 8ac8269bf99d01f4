import Foundation
@testable import Gateway
import PostgresNIO
import ProviderHTTP
import Testing
import TestSupport

/// Unauthenticated load: guesses are cheap for the client, so they must be cheap for
/// memgrid too, and must not hurt tenants with real keys.
@Suite(.serialized)
struct AuthFloodTests {
    /// 10,000 random well-formed keys from one address: after the allowed failures each
    /// is refused before any lookup, and a real key (verified before the flood) keeps
    /// working without a new lookup: the flood cannot push it out of the cache.
    @Test func tenThousandRandomKeysCostFewLookupsAndLockOutNoRealKey() async throws {
        // The real key stays cached however long the flood takes (it shares the flood's address).
        let fixture = try await GatewayFixture(workers: false, overrides: [
            "MEMGRID_GATEWAY_AUTH_FAILURES_PER_MINUTE": "20", "MEMGRID_GATEWAY_KEY_CACHE_SECONDS": "3600",
        ])
        try await fixture.waitUntilReady()
        let real = try await fixture.key(tenant: "flood-victim")
        #expect(try await fixture.request("GET", "/v1/jobs/none", key: real).status == 404)
        let before = try await Self.lookups(fixture)

        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        let started = Date()
        var statuses: [Int: Int] = [:]
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    var last = 0
                    for _ in stride(from: worker, to: 10_000, by: 16) {
                        let guess = "mg_" + String((0..<52).map { _ in alphabet.randomElement(using: &generator)! })
                        last = try await fixture.request("GET", "/v1/jobs/none", key: guess).status
                    }
                    return last
                }
            }
            for try await status in group { statuses[status, default: 0] += 1 }
        }
        let during = try await Self.lookups(fixture) - before
        // 20 per minute window the flood touched, plus up to one guess per concurrent
        // client in flight when the limit is reached (checked before failures count).
        let windows = Int(Date().timeIntervalSince(started) / 60) + 2
        #expect(during <= (20 + 16) * windows, "\(during) lookups for 10,000 guesses over \(windows) minute windows")
        #expect(statuses[429] ?? 0 > 0, "\(statuses)")
        let victim = try await fixture.request("GET", "/v1/jobs/none", key: real)
        #expect(victim.status == 404, "the real key still works: \(victim.status)")
        #expect(try await Self.lookups(fixture) - before == during, "and needed no new lookup")
        let unknownWrites = try await fixture.database.withClient(url: fixture.database.url) { client in
            var count = -1
            for try await value in try await client.query(
                "SELECT count(*)::int FROM api_keys WHERE last_used_at IS NOT NULL AND tenant_id <> 'flood-victim'", logger: fixture.logger
            ).decode(Int.self) { count = value }
            return count
        }
        #expect(unknownWrites == 0)
        await fixture.stop()
    }

    static func lookups(_ fixture: GatewayFixture) async throws -> Int {
        let metrics = String(decoding: try await fixture.request("GET", "/metrics", operations: true).body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("memgrid_gateway_key_lookups_total") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    @Test func theClientBehindATrustedProxyIsTheLastUntrustedHop() throws {
        let limiter = AuthFailureLimiter(perMinute: 2, trustedProxies: [IPNetwork("10.0.0.0/8")!])
        #expect(limiter.client(peer: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9", "an untrusted peer is the client")
        #expect(limiter.client(peer: "10.0.0.7", forwardedFor: "1.2.3.4, 198.51.100.2, 10.0.0.3") == "198.51.100.2")
        #expect(limiter.client(peer: "10.0.0.7", forwardedFor: nil) == "10.0.0.7")
        let now = Date(timeIntervalSince1970: 1_900_000_010)
        limiter.recordFailure(of: "a", now: now)
        #expect(limiter.retryAfter(for: "a", now: now) == nil)
        limiter.recordFailure(of: "a", now: now)
        #expect(limiter.retryAfter(for: "a", now: now) == 10, "until the next minute")
        #expect(limiter.retryAfter(for: "b", now: now) == nil, "other clients are not affected")
        #expect(limiter.retryAfter(for: "a", now: now.addingTimeInterval(60)) == nil, "a new minute starts afresh")
    }
}
