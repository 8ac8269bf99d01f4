import Foundation
public import Prometheus

/// What this build is: its release and the commit it was built from, for `--version`
/// and the `memgrid_build_info` gauge on every `/metrics`.
public enum BuildInfo {
    /// memgrid's release; a release's image is tagged with it (docs/deploy-cce.md).
    public static let version = "0.1.0"

    /// The commit the image was built from (the Dockerfile's `GIT_COMMIT` build
    /// argument, kept as `MEMGRID_BUILD_COMMIT`); `unknown` outside an image.
    public static var commit: String {
        ProcessInfo.processInfo.environment["MEMGRID_BUILD_COMMIT"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
    }

    /// `--version`'s text.
    public static var description: String { "memgrid \(version) (commit \(commit))" }

    /// `memgrid_build_info{version,commit} 1`: join on it to see which build a series came from.
    public static func register(in registry: PrometheusCollectorRegistry) {
        registry.makeGauge(name: "memgrid_build_info", labels: [("version", version), ("commit", commit)]).set(1.0)
    }
}
