import ArgumentParser
import WorkerRuntime

/// The end-to-end benchmarks (`make bench-*`), apart from the admin CLI that ships in the
/// image: each runs the system's parts in-process against the real servers of the stack.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-bench",
        abstract: "Benchmarks against the running stack (docs/benchmarks.md).",
        discussion: "Connection settings come from the same environment variables as the services (docs/configuration.md).",
        version: BuildInfo.description,
        subcommands: [
            BenchQueueCommand.self, BenchEmbedCommand.self, BenchEmbedPipelineCommand.self, BenchGatewayCommand.self, BenchLLMCommand.self,
            BenchProactiveCommand.self, BenchBackfillCommand.self, BenchIndexCommand.self, BenchMemoryCommand.self, BenchConsolidateCommand.self,
        ])
}
