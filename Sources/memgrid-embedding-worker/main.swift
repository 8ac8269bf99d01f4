import ArgumentParser
import Contracts
import Embeddings
import WorkerRuntime
import EmbeddingWorker

@main
struct EmbeddingWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgrid-embedding-worker",
        abstract: "Worker for the 'embed' queue: texts into vectors with the local model, cached in Redis, stored in pgvector.",
        discussion: WorkerMain.discussion(defaultOperationsPort: 9101)
            + "\nThe model is read from MEMGRID_MODEL_DIR (all-MiniLM-L6-v2 safetensors + vocab.txt),"
            + " its dense layers in MEMGRID_EMBED_PRECISION (fp32, or bf16 on CPUs with AVX512-BF16);"
            + " MEMGRID_EMBED_PROVIDER=openai uses an OpenAI-compatible /v1/embeddings instead."
            + " During a model change, MEMGRID_EMBED_NEXT_PROVIDER (and its settings) adds the new model (docs/reembedding.md).",
        version: BuildInfo.description)

    func run() async throws {
        try await WorkerMain.run(label: "memgrid.embedding-worker", queue: .embed, defaultOperationsPort: 9101) {
            configuration, environment, registry, logger in
            let embedding = try EmbeddingWorkerApp.Configuration(environment: environment)
            return try EmbeddingWorkerApp.build(
                configuration: configuration, embedding: embedding, embedder: try embedding.provider.makeEmbedder(logger: logger),
                next: try embedding.next?.makeEmbedder(logger: logger), registry: registry, logger: logger)
        }
    }
}
