import Foundation
import Storage
import Testing

@testable import Gateway

/// Rank fusion and de-duplication of retrieve hits, without servers.
@Suite struct FusionTests {
    static func candidate(
        _ kind: RecallRepository.Kind, _ id: String, cites: [String], name: String? = nil, vector: Int? = nil, lexical: Int? = nil,
        at time: Date = Date(timeIntervalSince1970: 0), reinforced: Int = 1
    ) -> RecallRepository.Candidate {
        RecallRepository.Candidate(
            kind: kind, id: id, text: id, time: time, name: name, messageIDs: cites, reinforcementCount: reinforced,
            vector: vector.map { .init(rank: $0, score: 0.5) }, lexical: lexical.map { .init(rank: $0, score: 1) })
    }

    @Test func bothRankingsBeatEitherAlone() {
        let fusion = Fusion()
        let ranked = fusion.rank(
            [
                Self.candidate(.message, "vector-only", cites: ["a"], vector: 1),
                Self.candidate(.message, "both", cites: ["b"], vector: 3, lexical: 3),
                Self.candidate(.message, "lexical-only", cites: ["c"], lexical: 1),
            ], cues: .init(window: nil, speakers: []))
        #expect(ranked.map(\.candidate.id).first == "both")
        #expect(ranked.first?.explanation.vector?.rank == 3 && ranked.first?.explanation.lexical?.rank == 3)
    }

    @Test func aNamedSpeakerLiftsWhatTheySaidNotItemsAboutThem() {
        let candidates = [
            Self.candidate(.message, "mel", cites: ["m"], name: "Melanie", vector: 1),
            Self.candidate(.message, "caro", cites: ["c"], name: "Caroline", vector: 2),
            Self.candidate(.memory, "item", cites: ["x"], vector: 1),
        ]
        let cues = Fusion.cues(query: "What did Caroline paint?", window: nil, candidates: candidates)
        #expect(cues.speakers == ["caroline"])
        let ranked = Fusion().rank(candidates, cues: cues)
        #expect(ranked.first?.candidate.id == "caro")
        #expect(ranked.first { $0.candidate.id == "item" }?.explanation.speaker == nil)
        // A name is matched as whole words: "Carol" is not "Caroline".
        #expect(Fusion.cues(query: "What did Carol paint?", window: nil, candidates: candidates).speakers.isEmpty)
    }

    @Test func aTimeTheQueryNamesLiftsWhatHappenedThenOrJustAfter() {
        let may = DateInterval(start: Date(timeIntervalSince1970: 1_682_899_200), duration: 31 * 86_400)  // May 2023
        let ranked = Fusion().rank(
            [
                Self.candidate(.message, "april", cites: ["a"], vector: 1, at: may.start.addingTimeInterval(-86_400)),
                Self.candidate(.message, "june-2", cites: ["j"], vector: 2, at: may.end.addingTimeInterval(2 * 86_400)),
                Self.candidate(.message, "may", cites: ["m"], vector: 3, at: may.start.addingTimeInterval(86_400)),
            ], cues: .init(window: may, speakers: []))
        #expect(ranked.map(\.candidate.id) == ["june-2", "may", "april"])
    }

    @Test func aHitThatABetterOneSaysIsLeftOut() {
        let fusion = Fusion()
        let ranked = fusion.rank(
            [
                Self.candidate(.memory, "fact-1", cites: ["m1"], vector: 1),
                Self.candidate(.memory, "fact-2", cites: ["m1"], vector: 2),
                Self.candidate(.message, "m1", cites: ["m1"], vector: 3),
                Self.candidate(.message, "m2", cites: ["m2"], vector: 4),
                Self.candidate(.memory, "fact-3", cites: ["m2"], vector: 5),
                Self.candidate(.memory, "uncited", cites: [], vector: 6),
            ], cues: .init(window: nil, speakers: []))
        // Two facts from one message stay; the message they came from goes; a fact whose
        // message is shown verbatim above it goes.
        #expect(Fusion.distinct(ranked, limit: 10).map(\.candidate.id) == ["fact-1", "fact-2", "m2", "uncited"])
        #expect(Fusion.distinct(ranked, limit: 2).map(\.candidate.id) == ["fact-1", "fact-2"])
    }
}
