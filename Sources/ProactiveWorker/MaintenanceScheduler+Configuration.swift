import Foundation
public import WorkerRuntime

extension ProactiveWorkerApp.Configuration {
    /// Scheduled maintenance: consolidation of near-duplicate memories, expiry, and the
    /// promotion of large users.
    public struct Maintenance: Sendable, Equatable {
        /// Length of a maintenance slot: each task runs once per slot across all replicas.
        public var interval: Duration
        /// Cosine similarity at or above which two items of a user are one memory, for
        /// `consolidate.v1` jobs that name none.
        public var threshold: Double
        /// Time to live per memory type; types not listed never expire. Empty = no expiry.
        public var timeToLive: [String: Duration]
        /// Items and messages from which a user's searches go through the space's user
        /// index instead of an exact scan (`LargeUserRepository`).
        public var largeUserRows: Int

        public init(
            interval: Duration = .seconds(3600), threshold: Double = 0.92, timeToLive: [String: Duration] = [:],
            largeUserRows: Int = Self.defaultLargeUserRows
        ) {
            self.interval = interval
            self.threshold = threshold
            self.timeToLive = timeToLive
            self.largeUserRows = largeUserRows
        }

        /// Below it the exact scan is both better (LoCoMo recall@10 0.759 against 0.743 with
        /// every user promoted) and, at a LoCoMo user's 550–830 rows, faster; at 2,000 rows
        /// its p99 is 71 ms against 19 ms (docs/benchmarks.md, "Large users").
        public static let defaultLargeUserRows = 2000

        public init(environment: EnvironmentReader) throws {
            interval = try environment.milliseconds("MEMGRID_CONSOLIDATION_INTERVAL_MS", default: .seconds(3600))
            guard interval >= .seconds(1) else {
                throw EnvironmentReader.Error(key: "MEMGRID_CONSOLIDATION_INTERVAL_MS", message: "must be at least 1000")
            }
            threshold = try environment.double("MEMGRID_CONSOLIDATION_THRESHOLD", default: 0.92)
            guard threshold > 0, threshold <= 1 else {
                throw EnvironmentReader.Error(key: "MEMGRID_CONSOLIDATION_THRESHOLD", message: "must be in (0, 1]")
            }
            timeToLive = try Self.timeToLive(environment.string("MEMGRID_MEMORY_TTL", default: ""))
            largeUserRows = try environment.int("MEMGRID_LARGE_USER_ROWS", default: Self.defaultLargeUserRows, range: 1...Int.max)
        }

        /// Memory types an item can have (the `memory_items.type` check).
        static let memoryTypes: Set<String> = ["profile", "event", "knowledge", "behavior", "skill", "tool"]

        /// Parses `event=720h,knowledge=8760h`: a type, `=`, a positive whole number and a
        /// unit (`d`, `h`, `m`, `s`).
        static func timeToLive(_ text: String) throws -> [String: Duration] {
            func invalid(_ message: String) -> EnvironmentReader.Error {
                EnvironmentReader.Error(key: "MEMGRID_MEMORY_TTL", message: message)
            }
            var result: [String: Duration] = [:]
            for entry in text.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, memoryTypes.contains(parts[0]) else {
                    throw invalid("expected <type>=<duration> with a memory type (\(memoryTypes.sorted().joined(separator: ", "))), got '\(entry)'")
                }
                let seconds: Int64? = switch parts[1].last {
                case "d": Int64(parts[1].dropLast()).map { $0 * 86_400 }
                case "h": Int64(parts[1].dropLast()).map { $0 * 3_600 }
                case "m": Int64(parts[1].dropLast()).map { $0 * 60 }
                case "s": Int64(parts[1].dropLast())
                default: nil
                }
                guard let seconds, seconds > 0 else {
                    throw invalid("expected a positive duration such as 720h, 30d, 90m or 3600s for \(parts[0]), got '\(parts[1])'")
                }
                guard result.updateValue(.seconds(seconds), forKey: parts[0]) == nil else {
                    throw invalid("\(parts[0]) is listed twice")
                }
            }
            return result
        }
    }
}
