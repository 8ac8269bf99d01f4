import ArgumentParser
import Contracts
import WorkerRuntime
import Workers

@main
struct LLMWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-llm-worker",
        abstract: "Worker for the 'llm' queue: LLM calls, memory extraction, chat (handlers arrive with the LLM worker issue).",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9102))

    func run() async throws {
        try await WorkerMain.run(label: "memgrid.llm-worker", queue: .llm, defaultOperationsPort: 9102)
    }
}
