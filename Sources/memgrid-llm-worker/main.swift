import ArgumentParser
import Contracts
import WorkerRuntime
import LLMWorker

@main
struct LLMWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-llm-worker",
        abstract: "Worker for the 'llm' queue: memorize jobs and chat calls through the configured LLM providers (offline: rule-based memorize, no chat).",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9102),
        version: BuildInfo.description)

    func run() async throws {
        try await WorkerMain.run(
            label: "memgrid.llm-worker", queue: .llm, defaultOperationsPort: 9102, defaultConcurrency: 512
        ) { configuration, environment, registry, logger in
            try LLMWorkerApp.build(
                configuration: configuration, llm: try LLMWorkerApp.Configuration(environment: environment),
                registry: registry, logger: logger)
        }
    }
}
