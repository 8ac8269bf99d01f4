/// Evidence recall@k of a ranked list of hits, each standing on some source turns, and
/// its macro average over questions, overall, per category and per conversation.
struct EvidenceRecall {
    /// A question's score and where it belongs.
    struct Sample {
        var conversation: String
        var category: Int
        var recall: Double
    }

    /// The share of `evidence` cited by the hits that fit into `slots`, walked in rank
    /// order: a hit takes as many slots as the turns it cites (at least one), and a hit
    /// that no longer fits is skipped for the next.
    static func score(hits: [[String]], evidence: Set<String>, slots: Int = 10) -> Double {
        guard !evidence.isEmpty else { return 0 }
        var used = 0
        var cited = Set<String>()
        for turns in hits {
            let cost = max(1, turns.count)
            guard used + cost <= slots else { continue }
            used += cost
            cited.formUnion(turns)
        }
        return Double(evidence.intersection(cited).count) / Double(evidence.count)
    }

    private(set) var samples: [Sample] = []

    mutating func add(conversation: String, category: Int, recall: Double) {
        samples.append(Sample(conversation: conversation, category: category, recall: recall))
    }

    /// The mean over the samples `where` keeps (0 for none).
    func mean(where keep: (Sample) -> Bool = { _ in true }) -> Double {
        let kept = samples.filter(keep)
        return kept.isEmpty ? 0 : kept.map(\.recall).reduce(0, +) / Double(kept.count)
    }

    func mean(category: Int) -> Double { mean { $0.category == category } }
    func mean(conversation: String) -> Double { mean { $0.conversation == conversation } }
    func count(category: Int) -> Int { samples.count { $0.category == category } }
}
