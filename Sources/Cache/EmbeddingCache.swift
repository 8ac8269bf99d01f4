public import CoreMetrics
import Contracts
import Crypto
import Foundation
public import Logging
import Synchronization

/// Every vector memgrid has computed, in Redis: key from (space, tenant, text), value the
/// raw little-endian float32 bytes. Redis trouble makes embedding slower, never failed:
/// lookups then miss and stores are skipped, logged once per outage, counted.
///
/// Entries are per tenant: a hit tells a tenant that the text was embedded before, so a
/// cache shared across tenants would tell it that *another* tenant embedded it. A
/// deployment with a single owner may share them (`sharedAcrossTenants`).
public final class EmbeddingCache: Sendable {
    private let client: RedisClient
    private let ttl: Duration?
    private let sharedAcrossTenants: Bool
    private let logger: Logger
    private let hits: Counter
    private let misses: Counter
    private let errors: Counter
    private let degraded = Atomic<Bool>(false)

    public init(
        client: RedisClient, ttl: Duration?, sharedAcrossTenants: Bool = false, metrics factory: any MetricsFactory, logger: Logger
    ) {
        self.client = client
        self.ttl = ttl
        self.sharedAcrossTenants = sharedAcrossTenants
        self.logger = logger
        hits = Counter(label: "memgrid_embedding_cache_hits_total", factory: factory)
        misses = Counter(label: "memgrid_embedding_cache_misses_total", factory: factory)
        errors = Counter(label: "memgrid_embedding_cache_errors_total", factory: factory)
    }

    /// `emb:<space>:<tenant>:<sha256(text) hex>` (`*` for the tenant when shared): the
    /// space keeps models apart, the digest keeps keys short whatever the text.
    public func key(space: String, tenantID: String, text: String) -> String {
        let digest = SHA256.hash(data: Data(text.utf8))
        return "emb:\(space):\(sharedAcrossTenants ? "*" : tenantID):" + digest.hexString
    }

    /// One entry per text, nil on a miss (or when Redis is unavailable, or a value has the
    /// wrong size).
    public func lookup(space: String, entries: [(tenantID: String, text: String)], dimensions: Int) async -> [[Float]?] {
        guard !entries.isEmpty else { return [] }
        let values: [[UInt8]?]
        do {
            values = try await client.mget(entries.map { key(space: space, tenantID: $0.tenantID, text: $0.text) })
            recovered()
        } catch {
            failed(error)
            misses.increment(by: Int64(entries.count))
            return Array(repeating: nil, count: entries.count)
        }
        let vectors = values.map { $0.flatMap { Self.decode($0, dimensions: dimensions) } }
        let hitCount = vectors.count { $0 != nil }
        hits.increment(by: Int64(hitCount))
        misses.increment(by: Int64(vectors.count - hitCount))
        return vectors
    }

    /// Removes the texts' vectors in these spaces (a user's erasure); returns how many
    /// entries existed. Unlike lookups this throws: an erasure must not report success
    /// while the texts stay cached.
    public func remove(texts: [String], tenantID: String, spaces: [String]) async throws -> Int {
        var removed = 0
        for space in spaces {
            // Bounded commands: a user may hold hundreds of thousands of texts.
            for start in stride(from: 0, to: texts.count, by: 1000) {
                let chunk = texts[start..<min(start + 1000, texts.count)]
                removed += try await client.del(chunk.map { key(space: space, tenantID: tenantID, text: $0) })
            }
        }
        return removed
    }

    public func store(space: String, entries: [(tenantID: String, text: String, vector: [Float])]) async {
        guard !entries.isEmpty else { return }
        do {
            try await client.setMany(
                entries.map { (key(space: space, tenantID: $0.tenantID, text: $0.text), Self.encode($0.vector)) }, ttl: ttl)
            recovered()
        } catch {
            failed(error)
        }
    }

    public static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    public static func decode(_ bytes: [UInt8], dimensions: Int) -> [Float]? {
        guard bytes.count == dimensions * 4 else { return nil }
        return (0..<dimensions).map { index in
            let offset = index * 4
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    private func failed(_ error: any Error) {
        errors.increment()
        if !degraded.exchange(true, ordering: .relaxed) {
            logger.warning("embedding cache unavailable; computing without it", metadata: ["error": "\(error)"])
        }
    }

    private func recovered() {
        if degraded.exchange(false, ordering: .relaxed) {
            logger.info("embedding cache available again")
        }
    }
}
