extension ClauseReader {
    /// "my <noun> <verb> …" statements: "my name is Ana" → "Name is Ana". Birthdays and
    /// anniversaries, favorites and names are profile; others that state a time, or tell
    /// what happened in the past tense, are events; the rest are profile when the noun is a
    /// known one (family, job, home, pets …).
    func possessive(_ clause: Clause, explicit: Bool) -> Finding? {
        let core = clause.core
        guard core.count > 2,
            let verbIndex = (2..<min(core.count, 6)).first(where: {
                Lexicon.possessiveVerbs.contains(core[$0].word) || Lexicon.isPastTense(core[$0].word)
            })
        else { return nil }
        let head = core[1..<verbIndex].map { $0.word.hasSuffix("'s") ? String($0.word.dropLast(2)) : $0.word }
        let verb = core[verbIndex].word
        let pastTense = Lexicon.isPastTense(verb)
        func withoutMy(_ tokens: [Token]) -> [Token] { FirstPerson.referencesAsThey(tokens.dropFirst()) }
        func finding(_ type: MemoryType, _ categories: Set<MemoryCategory> = [], pastTense: Bool = false) -> Finding {
            Finding(
                type: type, statement: withoutMy(clause.display), categories: categories, pastTense: pastTense,
                subject: .speakersOwn)
        }

        if head.contains("birthday") || head.contains("anniversary") {
            return finding(.profile)
        }
        if let first = head.first, first == "favorite" || first == "favourite" {
            return finding(.profile, [.preferences])
        }
        if head.contains("name") {
            return finding(.profile)
        }
        if clause.time.isPinned {
            return Finding(
                type: .event, statement: withoutMy(core), time: clause.time, pastTense: pastTense,
                unresolvedStatement: withoutMy(clause.display), subject: .speakersOwn)
        }
        if clause.time.isVague {
            return finding(.event, pastTense: pastTense)
        }
        guard explicit || head.contains(where: Lexicon.profileHeads.contains) else { return nil }
        // "My son got into an accident": something that happened, not a lasting fact
        // ("My dad was a teacher" stays profile).
        if pastTense, !Lexicon.stateVerbs.contains(verb) {
            return finding(.event, pastTense: true)
        }
        return finding(.profile)
    }
}
