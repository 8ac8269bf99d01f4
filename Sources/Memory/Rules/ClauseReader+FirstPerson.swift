extension ClauseReader {
    /// "I …" statements. In order: habits (behavior), stated times (event, or profile for
    /// "I was born on …"), routines (behavior), preferences (profile), skills, tools, other
    /// profile facts. See docs/extraction.md, "Rules".
    func firstPerson(_ clause: Clause, explicit: Bool) -> Finding? {
        let core = clause.core
        var verbIndex = 1
        while verbIndex < core.count,
            Lexicon.fillerAdverbs.contains(core[verbIndex].word)
                || Lexicon.frequencyAdverbs.contains(core[verbIndex].word)
        {
            verbIndex += 1
        }
        guard verbIndex < core.count, core[verbIndex].word.allSatisfy({ $0.isLetter || $0 == "-" }) else {
            return nil
        }
        let verb = Array(core[verbIndex...])
        let pastTense = Lexicon.isPastTense(verb[0].word)
        let time = clause.time
        let written = FirstPerson.predicate(clause.display.dropFirst())

        if clause.habits.hasMarker {
            return Finding(type: .behavior, statement: written)
        }
        let routine = time.isClockOnly && !time.isVague && Self.isRoutine(verb)
        if time.isPinned && !routine {
            let born = verb.matches(["was", "born"], at: 0)
            return Finding(
                type: born ? .profile : .event, statement: FirstPerson.predicate(core.dropFirst()), time: time,
                pastTense: pastTense, unresolvedStatement: written)
        }
        if time.isVague {
            return Finding(type: .event, statement: written, pastTense: pastTense)
        }
        if routine {
            return Finding(type: .behavior, statement: written)
        }
        if Self.isPreference(verb) {
            return Finding(type: .profile, statement: written, categories: [.preferences])
        }
        if Self.isSkill(verb) {
            return Finding(type: .skill, statement: written, categories: [.skills])
        }
        if (verb.matches(["use"], at: 0) && verb.count > 1) || verb.matches(["am", "using"], at: 0) {
            return Finding(type: .tool, statement: written, categories: [.tools])
        }
        if let profile = profileFact(verb, written: written) {
            return profile
        }
        if let activity = Self.activity(verb, written: written) {
            return activity
        }
        return explicit ? Finding(type: .profile, statement: written) : nil
    }

    /// Present simple with a clock time and no day ("I wake up at 6am"): a routine.
    private static func isRoutine(_ verb: [Token]) -> Bool {
        let word = verb[0].word
        return !Lexicon.nonRoutineVerbs.contains(word) && !Lexicon.isPastTense(word) && !word.hasSuffix("ing")
    }

    /// like, love, enjoy, prefer, adore, hate, dislike, detest, loathe, eat, drink; "do not
    /// like/love/enjoy/eat/drink/mind"; "cannot stand"; "am (not) into"; "am (not) a (big) fan of".
    private static func isPreference(_ verb: [Token]) -> Bool {
        let likes: Set = [
            "like", "love", "enjoy", "prefer", "adore", "hate", "dislike", "detest", "loathe", "eat", "drink",
        ]
        if likes.contains(verb[0].word), verb.count > 1 { return true }
        if verb.matches(["do", "not"], at: 0), verb.count > 3,
            ["like", "love", "enjoy", "eat", "drink", "mind"].contains(verb[2].word)
        {
            return true
        }
        if verb.matches(["cannot", "stand"], at: 0) || verb.matches(["am", "into"], at: 0)
            || verb.matches(["am", "not", "into"], at: 0)
        {
            return true
        }
        guard verb.first?.word == "am" else { return false }
        let fan = verb.dropFirst().drop { ["not", "a", "an", "big", "huge", "great"].contains($0.word) }
        return Array(fan).matches(["fan", "of"], at: 0)
    }

    /// "can <verb>" (not "cannot"), "know how to", "speak", "am fluent in", "am good at", "am able to".
    private static func isSkill(_ verb: [Token]) -> Bool {
        if verb.matches(["can"], at: 0), verb.count > 1, verb[1].word != "not" { return true }
        if verb.matches(["speak"], at: 0), verb.count > 1 { return true }
        return [["know", "how", "to"], ["am", "fluent", "in"], ["am", "good", "at"], ["am", "able", "to"]]
            .contains { verb.matches($0, at: 0) }
    }

    /// Identity, home, work, family and possessions.
    private func profileFact(_ verb: [Token], written: [Token]) -> Finding? {
        func profile(_ categories: Set<MemoryCategory> = [], _ statement: [Token]? = nil) -> Finding {
            Finding(type: .profile, statement: statement ?? written, categories: categories)
        }
        let words = verb.words
        func word(_ index: Int) -> String { index < words.count ? words[index] : "" }

        switch word(0) {
        case "am":
            if word(1) == "called" || word(1) == "named", verb.count > 2 {
                return Finding(type: .profile, statement: [Token("name"), Token("is")] + verb[2...], subject: .speakersOwn)
            }
            if let age = Int(word(1)), (1...129).contains(age),
                verb.count == 2 || [["years", "old"], ["year", "old"], ["yo"]].contains(Array(words[2...]))
            {
                return profile([], ["is", "\(age)", "years", "old"].map { Token($0) })
            }
            if word(1) == "a" || word(1) == "an", verb.count > 2, !["bit", "little", "lot"].contains(word(2)) {
                return profile()
            }
            if word(1) == "from", verb.count > 2 { return profile([.location]) }
            if Lexicon.profileStates.contains(word(1)) {
                let categories: Set<MemoryCategory> =
                    switch word(1) {
                    case "based", "living": [.location]
                    case "working", "employed", "self-employed", "unemployed", "studying": [.work]
                    default: []
                    }
                return profile(categories)
            }
        case "live":
            if ["in", "at", "near", "on"].contains(word(1)) { return profile([.location]) }
            if word(1) == "with" { return profile() }
        case "grew" where word(1) == "up":
            return profile([.location])
        case "moved" where word(1) == "to":
            return profile([.location])
        case "was" where word(1) == "born" && word(2) == "in":
            return profile(Int(word(3)) == nil ? [.location] : [])
        case "work", "study", "teach":
            if word(1) != "out", verb.count > 1 { return profile([.work]) }
        case "have":
            // "I've got two kids" is "I have two kids".
            let noun = word(1) == "got" ? 2 : 1
            let possession =
                Lexicon.quantifiers.contains(word(noun)) && verb.count > noun + 1
                && !Lexicon.notPossessions.contains(word(noun + 1))
            if possession || Lexicon.conditions.contains(word(noun)) { return profile() }
        case "go" where word(1) == "by" && verb.count > 2:
            return profile()
        default:
            break
        }
        return nil
    }

    /// What the speaker did, does, is doing, feels and plans, when no rule above matched
    /// (docs/extraction.md, rule 4.3.9). Statements whose verb has a bare pronoun for
    /// object ("I'll keep that in mind") or that are about the listener ("I'm proud of
    /// you", "I love your photos") need context and are skipped.
    private static func activity(_ verb: [Token], written: [Token]) -> Finding? {
        let words = verb.words
        func word(_ index: Int) -> String { index < words.count ? words[index] : "" }
        guard words.count > 1, !words.contains(where: Lexicon.listenerWords.contains) else { return nil }
        func starts(_ prefixes: [[String]]) -> Int? {
            prefixes.first { verb.matches($0, at: 0) }?.count
        }
        /// The statement, unless the object after the first `length` words needs context.
        func finding(_ type: MemoryType, after length: Int, pastTense: Bool = false, isCurrent: Bool = false) -> Finding? {
            let object = word(length)
            let demonstrative =
                Lexicon.demonstratives.contains(object)
                && (length + 1 == words.count || Lexicon.statePrepositions.contains(word(length + 1)))
            guard length < words.count, !Lexicon.contextObjects.contains(object), !demonstrative else { return nil }
            return Finding(type: type, statement: written, pastTense: pastTense, isCurrent: isCurrent)
        }

        if let length = starts(Lexicon.planMarkers) {
            let action = Lexicon.fillerAdverbs.contains(word(length)) ? length + 1 : length
            return finding(.event, after: action + 1)
        }
        if let length = starts(Lexicon.goalMarkers) {
            return finding(.profile, after: length + 1)
        }
        if let length = starts([["am", "feeling"], ["was", "feeling"], ["am"], ["was"], ["feel"], ["felt"]]),
            let complement = stateComplement(words, from: length)
        {
            let past = ["was", "felt"].contains(word(0))
            return finding(.event, after: complement, pastTense: past, isCurrent: !past)
        }
        if word(0) == "have", Lexicon.isPastParticiple(word(1)) {
            if word(1) == "been" {
                let doing = word(2).hasSuffix("ing") && !Lexicon.notActivities.contains(word(2))
                if doing || stateComplement(words, from: 2) != nil { return finding(.behavior, after: 3) }
                return word(2) == "to" ? finding(.event, after: 3, pastTense: true) : nil
            }
            guard !Lexicon.notActivities.contains(word(1)) else { return nil }
            return finding(.event, after: 2, pastTense: true)
        }
        if word(0) == "am", word(1).count > 4, word(1).hasSuffix("ing"), !Lexicon.notActivities.contains(word(1)) {
            if word(1) == "looking" && word(2) == "forward" { return finding(.event, after: 4) }
            let arranged = Lexicon.arrangementVerbs.contains(word(1))
            return finding(arranged ? .event : .behavior, after: 2)
        }
        if Lexicon.notActivities.contains(word(0)) || Lexicon.auxiliaries.contains(word(0)) {
            return nil
        }
        if Lexicon.isPastTense(word(0)) {
            return finding(.event, after: 1, pastTense: true)
        }
        guard !word(0).hasSuffix("ing") else { return nil }
        return finding(.behavior, after: 1)
    }

    /// "(so) happy about …", "swamped with …", "in Paris": after optional intensifiers,
    /// one or two words (joined by "and") and a preposition, or "in"/"at" right away. Returns
    /// the index of the first word after the preposition, nil when there is no such complement
    /// (a bare "I'm tired" says nothing lasting enough to keep).
    private static func stateComplement(_ words: [String], from start: Int) -> Int? {
        var index = start
        while index < words.count, Lexicon.intensifiers.contains(words[index]) { index += 1 }
        guard index + 1 < words.count else { return nil }
        if ["in", "at"].contains(words[index]), index == start { return index + 1 }
        guard !Lexicon.notStates.contains(words[index]), words[index].allSatisfy({ $0.isLetter || $0 == "-" }) else {
            return nil
        }
        var preposition = index + 1
        if preposition + 1 < words.count, words[preposition] == "and" { preposition += 2 }
        guard preposition + 1 < words.count, Lexicon.statePrepositions.contains(words[preposition]) else { return nil }
        return preposition + 1
    }
}
