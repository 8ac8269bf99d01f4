// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of the root package's hot paths (ordo-one/benchmark), a package of its
// own so the root package and its image never depend on the benchmark plugin.
let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "memgrid", path: ".."),
        // The malloc metrics through the interposer: this machine has no jemalloc.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        benchmark("Tokenizer", dependencies: ["BenchmarkModel", .product(name: "Tokenizer", package: "memgrid")]),
        benchmark("Encoder", dependencies: [
            "BenchmarkModel",
            .product(name: "Embeddings", package: "memgrid"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        benchmark("SSEParser", dependencies: [.product(name: "LLM", package: "memgrid")]),
        benchmark("WireJSON", dependencies: [.product(name: "Contracts", package: "memgrid")]),
        benchmark("Redis", dependencies: [.product(name: "Cache", package: "memgrid")]),

        // Where the Tokenizer and Encoder benchmarks find the model.
        .target(
            name: "BenchmarkModel",
            dependencies: [.product(name: "Tokenizer", package: "memgrid")],
            path: "Support",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

/// `Benchmarks/<name>/<name>Benchmarks.swift`: an executable the benchmark plugin finds
/// (its directory is in `Benchmarks/`) and runs.
func benchmark(_ name: String, dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: "\(name)Benchmarks",
        dependencies: [.product(name: "Benchmark", package: "benchmark")] + dependencies,
        path: name,
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
