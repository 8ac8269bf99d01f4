import ArgumentParser
import Contracts
import WorkerRuntime
import Workers

@main
struct EmbeddingWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-embedding-worker",
        abstract: "Worker for the 'embed' queue: texts into vectors (the model and handlers arrive with the embedding issue).",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9101))

    func run() async throws {
        try await WorkerMain.run(label: "memgrid.embedding-worker", queue: .embed, router: JobRouter(), defaultOperationsPort: 9101)
    }
}
