extension ClauseReader {
    /// "my <noun> <verb> …" statements: "my name is Ana" → "Name is Ana". Birthdays and
    /// anniversaries, favorites and names are profile; others that state a time are events;
    /// the rest are profile when the noun is a known one (family, job, home, pets …).
    func possessive(_ clause: Clause, explicit: Bool) -> Finding? {
        let core = clause.core
        guard core.count > 2,
            let verbIndex = (2..<min(core.count, 6)).first(where: {
                Lexicon.possessiveVerbs.contains(core[$0].word) || Lexicon.isPastTense(core[$0].word)
            })
        else { return nil }
        let head = core[1..<verbIndex].map { $0.word.hasSuffix("'s") ? String($0.word.dropLast(2)) : $0.word }
        let pastTense = Lexicon.isPastTense(core[verbIndex].word)
        func withoutMy(_ tokens: [Token]) -> [Token] { FirstPerson.referencesAsThey(tokens.dropFirst()) }

        if head.contains("birthday") || head.contains("anniversary") {
            return Finding(type: .profile, statement: withoutMy(clause.display))
        }
        if let first = head.first, first == "favorite" || first == "favourite" {
            return Finding(type: .profile, statement: withoutMy(clause.display), categories: [.preferences])
        }
        if head.contains("name") {
            return Finding(type: .profile, statement: withoutMy(clause.display))
        }
        if clause.time.isPinned {
            return Finding(
                type: .event, statement: withoutMy(core), time: clause.time, pastTense: pastTense,
                unresolvedStatement: withoutMy(clause.display))
        }
        if clause.time.isVague {
            return Finding(type: .event, statement: withoutMy(clause.display), pastTense: pastTense)
        }
        if explicit || head.contains(where: Lexicon.profileHeads.contains) {
            return Finding(type: .profile, statement: withoutMy(clause.display))
        }
        return nil
    }
}
