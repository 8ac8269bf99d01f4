import Foundation
import Storage

/// Ranks the candidates of a hybrid search: weighted reciprocal rank fusion of the vector
/// and lexical rankings of each kind (Cormack et al. 2009: robust without calibrating
/// the two scores against each other), plus bonuses, each a fraction of what a first rank
/// is worth, for what the query itself says: a time it asks about and a speaker it names;
/// and a weak prior for an item stated many times.
///
/// The constants were chosen on the LoCoMo development conversations among round values
/// (docs/benchmarks.md): k 20 rather than the usual 60, since only the first few ranks of
/// a small per-user collection carry signal, and a named speaker worth one first rank.
struct Fusion: Sendable {
    /// RRF's constant: how fast the worth of a rank decays.
    var k = 20.0
    var vectorWeight = 1.0
    var lexicalWeight = 1.0
    /// In the span the query names (or just after it: people tell what happened later).
    var timeBonus = 0.5
    /// Said by the person the query names. Messages only: an item naming them already
    /// matches the name by its words, and boosting those too let the (fewer, shorter)
    /// items crowd out the messages (LoCoMo evidence recall 0.625 against 0.715).
    var speakerBonus = 1.0
    /// Per doubling of an item's reinforcement count.
    var reinforcementBonus = 0.05

    /// What the query says beyond its words.
    struct Cues: Sendable {
        var window: DateInterval?
        /// Speakers (lowercased) named in the query.
        var speakers: Set<String>
    }

    struct Ranked: Sendable {
        var candidate: RecallRepository.Candidate
        var score: Double
        var explanation: Explanation
    }

    /// Each signal's part of a hit's score.
    struct Explanation: Sendable, Encodable {
        var vector: RecallRepository.Signal?
        var lexical: RecallRepository.Signal?
        var time: Double?
        var speaker: Double?
        var prior: Double?
    }

    /// The speakers among the candidates whose name the query contains as a word.
    static func cues(query: String, window: DateInterval?, candidates: [RecallRepository.Candidate]) -> Cues {
        let words = Set(query.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
        var speakers = Set<String>()
        for name in Set(candidates.compactMap { $0.name?.lowercased() }) {
            let parts = name.split { !$0.isLetter && !$0.isNumber }.map(String.init)
            if !parts.isEmpty, parts.allSatisfy(words.contains) { speakers.insert(name) }
        }
        return Cues(window: window, speakers: speakers)
    }

    /// Best first.
    func rank(_ candidates: [RecallRepository.Candidate], cues: Cues) -> [Ranked] {
        let top = 1 / (k + 1)
        let window = cues.window.map { DateInterval(start: $0.start, end: $0.end.addingTimeInterval(7 * 86_400)) }
        return candidates.map { candidate in
            var explanation = Explanation(vector: candidate.vector, lexical: candidate.lexical)
            var score = 0.0
            if let vector = candidate.vector { score += vectorWeight / (k + Double(vector.rank)) }
            if let lexical = candidate.lexical { score += lexicalWeight / (k + Double(lexical.rank)) }
            if let window, window.contains(candidate.time) {
                explanation.time = timeBonus * top
                score += timeBonus * top
            }
            if let name = candidate.name?.lowercased(), cues.speakers.contains(name) {
                explanation.speaker = speakerBonus * top
                score += speakerBonus * top
            }
            if candidate.reinforcementCount > 1 {
                let prior = reinforcementBonus * top * log2(Double(candidate.reinforcementCount))
                explanation.prior = prior
                score += prior
            }
            return Ranked(candidate: candidate, score: score, explanation: explanation)
        }
        .sorted { ($0.score, $0.candidate.time) > ($1.score, $1.candidate.time) }
    }

    /// Drops a hit that a better one already says, keeping at most `limit`: a message
    /// that a better item was read from or a better message hit is, and an item whose
    /// messages better hits show verbatim. Two items read from one message are two facts
    /// and both stay.
    static func distinct(_ ranked: [Ranked], limit: Int) -> [Ranked] {
        var cited = Set<String>()
        var shown = Set<String>()
        var kept: [Ranked] = []
        for hit in ranked where kept.count < limit {
            let ids = hit.candidate.messageIDs
            let said = hit.candidate.kind == .message ? cited : shown
            if !ids.isEmpty, ids.allSatisfy(said.contains) { continue }
            cited.formUnion(ids)
            if hit.candidate.kind == .message { shown.formUnion(ids) }
            kept.append(hit)
        }
        return kept
    }
}
