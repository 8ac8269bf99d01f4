import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks against the running stack.",
        subcommands: [
            BenchQueueCommand.self, BenchEmbedCommand.self, BenchEmbedPipelineCommand.self, BenchGatewayCommand.self, BenchLLMCommand.self,
            BenchProactiveCommand.self, BenchBackfillCommand.self, BenchIndexCommand.self, BenchMemoryCommand.self, BenchConsolidateCommand.self,
        ])
}
