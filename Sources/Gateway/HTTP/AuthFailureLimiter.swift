import Foundation
import ProviderHTTP
import Synchronization

/// Failed authentications per client address and minute, kept in the process: a client
/// guessing keys is refused (429) before each guess costs a database read, while keys
/// already verified (cached) never wait on it. Per replica on purpose: it guards the
/// replica's own database pool, with no Redis round trip before authentication.
final class AuthFailureLimiter: Sendable {
    private struct Window {
        var minute: Int
        var failures: [String: Int] = [:]
    }

    let perMinute: Int
    /// Load balancers whose `X-Forwarded-For` is believed; any other peer is the client.
    let trustedProxies: [IPNetwork]
    /// Addresses tracked per minute; beyond it new addresses share one bucket, so a
    /// spoofing flood cannot grow memory.
    private let capacity = 100_000
    private let window = Mutex(Window(minute: 0))

    init(perMinute: Int, trustedProxies: [IPNetwork]) {
        self.perMinute = perMinute
        self.trustedProxies = trustedProxies
    }

    /// The client: the peer, or for a trusted proxy the last address it appended that is
    /// not itself a trusted proxy.
    func client(peer: String?, forwardedFor: String?) -> String {
        guard let peer else { return "unknown" }
        guard let forwardedFor, let address = IPAddress(peer), trustedProxies.contains(where: { $0.contains(address) }) else {
            return peer
        }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let hopAddress = IPAddress(hop) else { return hop }
            if !trustedProxies.contains(where: { $0.contains(hopAddress) }) { return hop }
        }
        return hops.first ?? peer
    }

    /// Seconds until the client may try again, or nil when it may now.
    func retryAfter(for client: String, now: Date = Date()) -> Int? {
        guard perMinute > 0 else { return nil }
        let minute = Int(now.timeIntervalSince1970 / 60)
        let failures = window.withLock { window in window.minute == minute ? window.failures[bucket(client, in: window)] ?? 0 : 0 }
        guard failures >= perMinute else { return nil }
        return max(1, Int((Double(minute + 1) * 60 - now.timeIntervalSince1970).rounded(.up)))
    }

    func recordFailure(of client: String, now: Date = Date()) {
        guard perMinute > 0 else { return }
        let minute = Int(now.timeIntervalSince1970 / 60)
        window.withLock { window in
            if window.minute != minute { window = Window(minute: minute) }
            window.failures[bucket(client, in: window), default: 0] += 1
        }
    }

    private func bucket(_ client: String, in window: Window) -> String {
        window.failures[client] != nil || window.failures.count < capacity ? client : "overflow"
    }
}
