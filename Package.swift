// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// What every worker module uses: the runtime, the broker, the database, metrics.
let workerDependencies: [Target.Dependency] = [
    "WorkerRuntime", "Messaging", "Storage", "Contracts",
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "Prometheus", package: "swift-prometheus"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    .product(name: "PostgresNIO", package: "postgres-nio"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "memgrid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "memgrid-gateway", targets: ["memgrid-gateway"]),
        .executable(name: "memgrid-embedding-worker", targets: ["memgrid-embedding-worker"]),
        .executable(name: "memgrid-llm-worker", targets: ["memgrid-llm-worker"]),
        .executable(name: "memgrid-proactive-worker", targets: ["memgrid-proactive-worker"]),
        .executable(name: "memgrid", targets: ["memgrid"]),
        .executable(name: "memgrid-bench", targets: ["memgrid-bench"]),
        // For the micro-benchmarks in Benchmarks/, a package of its own.
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "LLM", targets: ["LLM"]),
        .library(name: "Cache", targets: ["Cache"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC trait would add grpc-swift to every build.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Wire types, queue names and versions. Foundation only: no I/O.
        .target(
            name: "Contracts",
            dependencies: [
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings),

        // C shims: one per C library, each imported by exactly one product module
        // (memgrid-bench's raw broker baseline also uses librabbitmq, on purpose).
        .target(
            name: "CRabbitMQ",
            linkerSettings: [.linkedLibrary("rabbitmq")]
        ),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis"),
        .systemLibrary(name: "CDNNL"),

        // The retry policy and helpers every remote provider call shares.
        .target(
            name: "ProviderHTTP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),

        // BERT's WordPiece tokenizer and where the model's files are. Foundation only: the
        // gateway counts tokens with it without linking the encoder.
        .target(name: "Tokenizer", swiftSettings: swiftSettings),

        // Model loader and encoder for local embeddings; remote providers.
        .target(
            name: "Embeddings",
            dependencies: [
                "Tokenizer", "CDNNL", "ProviderHTTP", "Contracts",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Memory types and the offline rule-based extractor. Foundation only.
        .target(
            name: "Memory", dependencies: ["Contracts"],
            resources: [.embedInCode("Prompts/extract_memories.v4.md"), .embedInCode("Prompts/summarize_category.v2.md")], swiftSettings: swiftSettings),

        // OpenAI-compatible chat client (SSE included), provider configuration, pricing,
        // retries and fallback, rate limits shared through Redis.
        .target(
            name: "LLM",
            dependencies: [
                "Contracts", "Cache", "ProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Messaging",
            dependencies: [
                "CRabbitMQ", "Contracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Cache",
            dependencies: [
                "CHiredis", "Contracts",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "Contracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every worker process shares: the job and RPC loops, dead-letter policy,
        // process wiring, operations server, logging and tracing.
        .target(
            name: "WorkerRuntime",
            dependencies: [
                "Messaging", "Contracts", "Cache", "Storage", "ProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: swiftSettings
        ),

        // Batch backfills: sources, chunking, checkpoints, backpressure (CLI and gateway).
        .target(
            name: "Backfill",
            dependencies: [
                "Contracts", "Messaging", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Per-executable wiring, callable from tests.
        .target(
            name: "Gateway",
            dependencies: [
                "WorkerRuntime", "Messaging", "Storage", "Cache", "Contracts", "Tokenizer", "Memory", "Backfill", "ProviderHTTP", "LLM",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml"), .embedInCode("Resources/dashboard.html")],
            swiftSettings: swiftSettings
        ),
        // One module per worker executable, each with only what it uses.
        .target(
            name: "EmbeddingWorker",
            dependencies: workerDependencies + [
                "Cache", "Embeddings", "Tokenizer",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LLMWorker",
            dependencies: workerDependencies + [
                "Cache", "Memory", "LLM",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ProactiveWorker",
            dependencies: workerDependencies + [
                "ProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "memgrid-gateway",
            dependencies: [
                "Gateway", "WorkerRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgrid-embedding-worker",
            dependencies: ["EmbeddingWorker", "WorkerRuntime", "Contracts", "Embeddings", "Tokenizer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgrid-llm-worker",
            dependencies: ["LLMWorker", "WorkerRuntime", "Contracts", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgrid-proactive-worker",
            dependencies: ["ProactiveWorker", "WorkerRuntime", "Contracts", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgrid",
            dependencies: [
                "Contracts", "Messaging", "Storage", "WorkerRuntime", "Embeddings", "Tokenizer", "Gateway", "Backfill",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // End-to-end benchmarks against the real servers; not in the image.
        .executableTarget(
            name: "memgrid-bench",
            dependencies: [
                "Contracts", "CRabbitMQ", "Messaging", "Storage", "WorkerRuntime", "Embeddings", "Tokenizer", "EmbeddingWorker", "LLMWorker",
                "ProactiveWorker", "Gateway", "Memory", "LLM", "Backfill", "SystemHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // A worker process the crash tests kill with SIGKILL.
        .executableTarget(
            name: "memgrid-test-worker",
            dependencies: [
                "WorkerRuntime", "Messaging", "Contracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Tests/Support/memgrid-test-worker",
            swiftSettings: swiftSettings
        ),

        // The fake OpenAI-compatible provider: the only fake (tests and bench-llm).
        .target(
            name: "FakeOpenAI",
            dependencies: [
                "Contracts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/FakeOpenAI",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgrid-fake-llm",
            dependencies: ["FakeOpenAI", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/Support/memgrid-fake-llm",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Messaging", "Contracts", "Storage", "Embeddings", "Tokenizer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/TestSupport",
            swiftSettings: swiftSettings
        ),
        // The in-process system tests and benchmarks start (one harness for both).
        .target(
            name: "SystemHarness",
            dependencies: [
                "TestSupport", "Gateway", "EmbeddingWorker", "LLMWorker", "ProactiveWorker", "WorkerRuntime", "Embeddings", "Contracts",
                "Messaging",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/SystemHarness",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContractsTests",
            dependencies: ["Contracts", .product(name: "W3CTraceContext", package: "swift-w3c-trace-context")],
            resources: [.copy("Golden")], swiftSettings: swiftSettings),
        .testTarget(name: "MessagingTests", dependencies: ["Messaging", "Contracts", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbeddingsTests",
            dependencies: [
                "Embeddings", "Tokenizer", "ProviderHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkersTests",
            dependencies: [
                "EmbeddingWorker", "LLMWorker", "ProactiveWorker", "WorkerRuntime", "Embeddings", "Tokenizer", "Cache", "Storage", "Messaging", "Contracts",
                "TestSupport", "SystemHarness", "LLM", "FakeOpenAI", "Backfill",
                "Gateway",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "EmbeddingWorker", "LLMWorker", "ProactiveWorker", "WorkerRuntime", "Embeddings", "Tokenizer", "Storage", "Messaging",
                "Contracts", "TestSupport", "SystemHarness", "LLM", "FakeOpenAI", "Backfill",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LLMTests",
            dependencies: [
                "LLM", "Cache", "Contracts", "FakeOpenAI", "ProviderHTTP", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MemoryTests", dependencies: ["Memory", "Contracts"], swiftSettings: swiftSettings),
        .testTarget(name: "CacheTests", dependencies: ["Cache", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkerRuntimeTests",
            dependencies: [
                "WorkerRuntime", "Messaging", "Contracts", "TestSupport", "Cache", "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
