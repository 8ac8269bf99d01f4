import ArgumentParser
import WorkerRuntime

@main
struct MemgridCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid",
        abstract: "memgrid admin CLI: migrations, API keys, usage and budgets, backfills, embedding spaces, dead letters, contracts.",
        discussion: "Connection settings come from the same environment variables as the services (docs/configuration.md).",
        version: BuildInfo.description,
        subcommands: [
            MigrateCommand.self, KeysCommand.self, UsageCommand.self, BudgetCommand.self, BackfillCommand.self, SpacesCommand.self, DLQCommand.self,
            ContractsCommand.self, EmbedCommand.self,
        ])
}
