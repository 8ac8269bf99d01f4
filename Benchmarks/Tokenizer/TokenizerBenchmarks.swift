import Benchmark
import BenchmarkModel
import Tokenizer

/// Texts like the ones memgrid stores: chat turns and facts with capitals, punctuation,
/// accents, numbers, a URL, CJK and emoji, and long words that split into many pieces.
let sentences = [
    "I moved to Berlin last month and I'm still looking for a good café near Prenzlauer Berg.",
    "Remind me tomorrow at 3pm to call Dr. Müller about the MRI results.",
    "My daughter's birthday is on 14 March; she wants a LEGO® Technic set (#42115).",
    "The deployment failed with HTTP 503 — see https://status.example.com/incidents/8812 for details.",
    "Ana prefers green tea over coffee, and she is allergic to peanuts.",
    "We agreed to ship the internationalization refactoring before the quarterly review.",
    "我下周去上海出差，记得帮我订酒店。",
    "Thanks!! 🎉 That worked perfectly, the new pipeline is 3x faster than before.",
    "Don't schedule anything on Fridays after 4:30 p.m.; that's reserved for family time.",
    "Counterintuitively, the electroencephalography results were indistinguishable from baseline.",
    "Our team uses PostgreSQL 18 with pgvector, Redis and RabbitMQ on a two-core machine.",
    "Está bien, nos vemos el sábado en la estación de Atocha a las diez y media.",
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal])

    Benchmark("WordPiece encode \(sentences.count) sentences") { benchmark, tokenizer in
        for _ in benchmark.scaledIterations {
            for sentence in sentences {
                blackHole(tokenizer.encode(sentence))
            }
        }
    } setup: {
        try WordPieceTokenizer(modelDirectory: BenchmarkModel.directory())
    }
}
