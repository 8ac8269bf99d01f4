import CoreMetrics
import Foundation
import Logging
public import Storage
import Synchronization

/// Verified keys, remembered for `ttl` so the hot path costs no database read; a revoked
/// key stops working within that time. Entries are keyed by the key's SHA-256, never the
/// secret itself.
///
/// Valid and unknown keys live apart: a flood of random keys fills only the unknown
/// side (bounded, its older half dropped when full), so it can never push real keys out.
/// A valid key's `last_used_at` is written when it is verified, so at most once per `ttl`
/// per gateway, never for unknown keys.
final class KeyCache: Sendable {
    private struct Entry {
        var principal: APIKeyRepository.Principal
        var expires: ContinuousClock.Instant
    }

    /// Unknown digests in two generations: lookups check both, inserts go to `current`,
    /// and a full `current` becomes `previous` (the older one is dropped).
    private struct Unknown {
        var current: [Data: ContinuousClock.Instant] = [:]
        var previous: [Data: ContinuousClock.Instant] = [:]

        func contains(_ digest: Data, at now: ContinuousClock.Instant) -> Bool {
            if let expires = current[digest] ?? previous[digest] { return expires > now }
            return false
        }

        mutating func insert(_ digest: Data, expires: ContinuousClock.Instant, capacity: Int) {
            if current.count >= capacity {
                previous = current
                current = [:]
            }
            current[digest] = expires
        }
    }

    private let repository: APIKeyRepository
    private let ttl: Duration
    private let valid = Mutex<[Data: Entry]>([:])
    private let unknown = Mutex(Unknown())
    /// Per generation of unknown digests.
    private let unknownCapacity: Int
    private let lookups: Counter

    init(repository: APIKeyRepository, ttl: Duration, unknownCapacity: Int = 10_000, metrics: any MetricsFactory) {
        self.repository = repository
        self.ttl = ttl
        self.unknownCapacity = unknownCapacity
        lookups = Counter(label: "memgrid_gateway_key_lookups_total", factory: metrics)
    }

    /// The principal of a cached valid key, without a lookup.
    func cached(_ digest: Data) -> APIKeyRepository.Principal? {
        let now = ContinuousClock.now
        return valid.withLock { entries in
            guard let entry = entries[digest], entry.expires > now else { return nil }
            return entry.principal
        }
    }

    /// The key's principal: from the cache, else from the database (then cached either way).
    func principal(for digest: Data, logger: Logger) async throws -> APIKeyRepository.Principal? {
        if let principal = cached(digest) { return principal }
        let now = ContinuousClock.now
        if unknown.withLock({ $0.contains(digest, at: now) }) { return nil }
        lookups.increment()
        guard let principal = try await repository.authenticate(digest: digest, logger: logger) else {
            unknown.withLock { $0.insert(digest, expires: now + ttl, capacity: unknownCapacity) }
            return nil
        }
        valid.withLock { entries in
            // Only real keys get here; dropping expired ones keeps the map at the live keys.
            if entries.count >= 100_000 { entries = entries.filter { $0.value.expires > now } }
            entries[digest] = Entry(principal: principal, expires: now + ttl)
        }
        do {
            try await repository.touch([principal.keyID], logger: logger)
        } catch {
            logger.info("could not stamp the key's last use", metadata: ["error": "\(error)"])
        }
        return principal
    }
}
