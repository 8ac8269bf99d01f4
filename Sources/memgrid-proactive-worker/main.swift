import ArgumentParser
import Contracts
import WorkerRuntime
import ProactiveWorker

@main
struct ProactiveWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-proactive-worker",
        abstract: "Worker for the 'proactive' queue: memory.created events, reminders, webhooks, summaries, consolidation.",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9103),
        version: BuildInfo.description)

    func run() async throws {
        try await WorkerMain.run(
            label: "memgrid.proactive-worker", queue: .proactive, defaultOperationsPort: 9103
        ) { configuration, environment, registry, logger in
            try ProactiveWorkerApp.build(
                configuration: configuration, proactive: try ProactiveWorkerApp.Configuration(environment: environment),
                registry: registry, logger: logger)
        }
    }
}
