import ArgumentParser
import Contracts
import WorkerRuntime
import Workers

@main
struct ProactiveWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-proactive-worker",
        abstract: "Worker for the 'proactive' queue: summaries, reminders, consolidation (handlers arrive with the proactive issue).",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9103))

    func run() async throws {
        try await WorkerMain.run(label: "memgrid.proactive-worker", queue: .proactive, defaultOperationsPort: 9103)
    }
}
