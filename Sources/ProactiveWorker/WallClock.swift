public import Foundation

/// Where the proactive worker reads the time: injectable, so tests move it instead of
/// waiting. Every time it hands out is a UTC instant (`Date`).
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
