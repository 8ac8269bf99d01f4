import Embeddings

extension LocalEmbedder {
    /// Throughput of one batch size over a corpus.
    struct BenchmarkResult: Sendable, CustomStringConvertible {
        var batchSize: Int
        var sentences: Int
        var tokens: Int
        /// Best of the repeats.
        var seconds: Double
        var sentencesPerSecond: Double { Double(sentences) / seconds }
        var tokensPerSecond: Double { Double(tokens) / seconds }

        var description: String {
            let rate = (sentencesPerSecond * 10).rounded() / 10
            let tokenRate = tokensPerSecond.rounded()
            return "batch \(batchSize): \(rate) sentences/s, \(tokenRate) tokens/s (\(sentences) sentences, best of runs)"
        }
    }

    /// Embeds `sentences` in consecutive `embed` calls of `batchSize` texts, one call at
    /// a time, `repeats` times, and reports the fastest run. Callers print the results;
    /// nothing here asserts on time. Run after ``warmUp()``.
    func benchmark(_ sentences: [String], batchSize: Int, repeats: Int = 3) async throws -> BenchmarkResult {
        precondition(batchSize > 0 && repeats > 0)
        let tokens = sentences.reduce(0) { $0 + tokenCount($1) }
        var best = Double.infinity
        for _ in 0..<repeats {
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                var start = 0
                while start < sentences.count {
                    let end = min(start + batchSize, sentences.count)
                    _ = try await embed(Array(sentences[start..<end]))
                    start = end
                }
            }
            let (whole, fraction) = elapsed.components
            best = min(best, Double(whole) + Double(fraction) * 1e-18)
        }
        return BenchmarkResult(batchSize: batchSize, sentences: sentences.count, tokens: tokens, seconds: best)
    }

    /// A fixed corpus of short English sentences (8–24 words) for throughput benchmarks.
    /// Deterministic (SplitMix64 from `seed`) and mirrored word for word by
    /// `scripts/bench/baseline_embed.py`; both print `checksum` so a drift shows.
    struct BenchmarkCorpus: Sendable {
        let sentences: [String]

        init(count: Int = 2000, seed: UInt64 = 42) {
            var generator = SplitMix64(seed: seed)
            func next() -> UInt64 { generator.next() }
            let words = Self.words
            var sentences: [String] = []
            sentences.reserveCapacity(count)
            for _ in 0..<count {
                let length = 8 + Int(next() % 17)
                var sentence = ""
                for index in 0..<length {
                    let word = words[Int(next() % UInt64(words.count))]
                    if index == 0 {
                        sentence += word.prefix(1).uppercased() + word.dropFirst()
                    } else {
                        sentence += (next() % 11 == 0 ? ", " : " ") + word
                    }
                }
                sentences.append(sentence + ".")
            }
            self.sentences = sentences
        }

        /// FNV-1a 64 of the sentences joined by newlines, as 16 hex digits.
        var checksum: String {
            var hash = FNV1a64()
            hash.update(Array(sentences.joined(separator: "\n").utf8))
            return hash.hexDigest
        }

        static let words: [String] = [
            "the", "agent", "remembers", "user", "prefers", "short", "answers", "about", "travel",
            "plans", "and", "meeting", "notes", "from", "last", "week", "memory", "store", "keeps",
            "every", "conversation", "summary", "with", "a", "timestamp", "vector", "search", "finds",
            "similar", "facts", "quickly", "when", "asked", "later", "project", "deadline", "moved",
            "to", "friday", "because", "design", "review", "took", "longer", "than", "expected",
            "she", "likes", "green", "tea", "in", "morning", "before", "standup", "team", "decided",
            "use", "postgres", "for", "durable", "state", "queue", "workers", "embed", "new",
            "documents", "each", "night", "cache", "hit", "rate", "improved", "after", "warm", "up",
            "his", "flight", "lands", "at", "seven", "pm", "hotel", "is", "near", "station",
            "remind", "me", "call", "dentist", "tomorrow", "budget", "spreadsheet", "needs",
            "updated", "numbers", "quarterly", "report", "was", "sent", "finance", "yesterday",
            "customer", "asked", "refund", "order", "shipped", "late", "support", "ticket", "closed",
            "model", "answered", "question", "using", "retrieved", "context", "old", "notes",
            "birthday", "party", "saturday", "bring", "cake", "kids", "school", "starts", "september",
            "running", "shoes", "are", "too", "small", "return", "them", "online", "password",
            "reset", "link", "expired", "try", "again", "weather", "will", "be", "rainy", "all",
            "weekend", "so", "plan", "indoor", "activities", "book", "club", "reading", "novel",
            "about", "space", "exploration", "recipe", "calls", "two", "cups", "flour", "one", "egg",
            "garden", "tomatoes", "need", "water", "daily", "during", "summer", "heat", "car",
            "service", "due", "next", "month", "oil", "change", "tires", "rotated", "invoice",
            "paid", "partially", "remaining", "balance", "thirty", "days", "language", "lessons",
            "spanish", "tuesday", "evenings", "practice", "vocabulary", "apartment", "lease",
            "renews", "march", "rent", "increase", "small", "doctor", "recommended", "more", "sleep",
            "less", "coffee", "afternoon", "conference", "talk", "accepted", "slides", "draft",
            "ready", "by", "monday", "bug", "fixed", "release", "candidate", "tagged", "deploy",
            "staging", "first", "then", "production", "rollback", "if", "errors", "spike",
        ]
    }
}

/// A small seeded generator (SplitMix64), so benchmark data is the same every run (and
/// the same as `scripts/bench/baseline_embed.py`'s).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
