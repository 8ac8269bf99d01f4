import Foundation

/// The Redis the local stack runs; `MEMGRID_REDIS_URL` overrides the loopback default.
public enum TestRedis {
    public static var url: String { ProcessInfo.processInfo.environment["MEMGRID_REDIS_URL"] ?? "redis://127.0.0.1:36379" }
}
