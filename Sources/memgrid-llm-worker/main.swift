import ArgumentParser
import Contracts
import WorkerRuntime
import Workers

@main
struct LLMWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-llm-worker",
        abstract: "Worker for the 'llm' queue: memorize jobs (offline rule-based extraction; LLM providers arrive with the LLM worker issue).",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9102))

    func run() async throws {
        try await WorkerMain.run(label: "memgrid.llm-worker", queue: .llm, defaultOperationsPort: 9102) { configuration, _, registry, logger in
            try LLMWorkerApp.build(configuration: configuration, registry: registry, logger: logger)
        }
    }
}
