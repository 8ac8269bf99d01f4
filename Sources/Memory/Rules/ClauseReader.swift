import Foundation

/// Applies the extraction rules to the sentences of one message.
struct ClauseReader {
    /// When the message was written; relative times resolve against it.
    let reference: Date
    /// Gregorian, in the extraction time zone.
    let calendar: Calendar
    /// Who wrote the message, if it says: the subject of its statements instead of none.
    var speaker: String?

    /// What a rule decided about a sentence, before categories and time are added.
    struct Finding {
        var type: MemoryType
        /// The statement, subject already rewritten.
        var statement: [Token]
        /// Categories the rule itself implies, added to the keyword matches.
        var categories: Set<MemoryCategory> = []
        /// A time to resolve and append to the text.
        var time: TimeMention?
        var pastTense = false
        /// The statement with its time phrase as written, used if `time` does not resolve
        /// (February 30): the memory is kept without `happenedAt`.
        var unresolvedStatement: [Token]?
        /// What the statement is written about; it decides where the speaker's name goes.
        var subject = Subject.speaker
        /// An event that states what is going on now ("Is swamped with work") rather than
        /// something to come: never `schedule`.
        var isCurrent = false
    }

    enum Subject {
        /// A predicate about the speaker: "Likes tea" or "Caroline likes tea".
        case speaker
        /// Something of the speaker's: "Sister lives in Lyon" or "Caroline's sister lives in Lyon".
        case speakersOwn
        /// Not about the speaker ("The wifi password is hunter2"): written as it is.
        case other
    }

    /// The memories in one sentence's tokens: one per clause a rule matches.
    func read(_ tokens: [Token]) -> [ExtractedMemory] {
        if let remembered = Self.rememberedClause(tokens) {
            let clause = Clause(remembered)
            return [read(clause, explicit: true) ?? memory(knowledge(clause))].compactMap(\.self)
        }
        return Self.clauses(tokens).compactMap { read(Clause($0), explicit: false) }
    }

    /// `explicit`: the user asked for it to be remembered, so a first-person statement no
    /// other rule matches is still kept, as profile.
    private func read(_ clause: Clause, explicit: Bool) -> ExtractedMemory? {
        let core = clause.core
        if let task = Self.reminderTask(core) {
            guard !task.isEmpty else { return nil }
            let needs = [Token("needs"), Token("to")]
            let written = Self.reminderTask(clause.display).map { needs + FirstPerson.referencesAsThey($0) }
            let statement = needs + FirstPerson.referencesAsThey(task)
            return memory(Finding(type: .event, statement: statement, time: clause.time, unresolvedStatement: written))
        }
        switch core.first?.word {
        case "i": return memory(firstPerson(clause, explicit: explicit))
        case "my": return memory(possessive(clause, explicit: explicit))
        default: return nil
        }
    }

    /// Text, time, categories.
    private func memory(_ finding: Finding?) -> ExtractedMemory? {
        guard let finding, !finding.statement.isEmpty, !Statement.endsInBarePronoun(finding.statement) else {
            return nil
        }
        var text = written(finding.statement, about: finding.subject)
        var happenedAt: Date?
        if let time = finding.time {
            if let resolved = time.resolve(reference: reference, calendar: calendar, pastTense: finding.pastTense) {
                text += " " + resolved.phrase
                happenedAt = resolved.date
            } else if let unresolved = finding.unresolvedStatement {
                text = written(unresolved, about: finding.subject)
            }
        }
        var categories = finding.categories.union(MemoryCategory.matching(finding.statement.words))
        if finding.type == .event, !finding.isCurrent, isUpcoming(happenedAt, pastTense: finding.pastTense) {
            categories.insert(.schedule)
        }
        return ExtractedMemory(
            type: finding.type, text: text, categories: MemoryCategory.slugs(categories), happenedAt: happenedAt)
    }

    /// The statement with the speaker's name in front when there is one: "Caroline likes
    /// tea", "Caroline's sister lives in Lyon"; without a name, subject-less.
    private func written(_ statement: [Token], about subject: Subject) -> String {
        guard let speaker, subject != .other else { return Statement.text(statement) }
        let name = subject == .speakersOwn ? speaker + "'s" : speaker
        return Statement.text([Token(name)] + statement)
    }

    // MARK: Clauses

    /// A sentence cut into the clauses the rules read one by one:
    /// - a new clause starts at but, so, because, cause, plus, though or yet followed by a
    ///   subject (I, it, we, he, she, they, that, this, there, my, our, his, her, their), at
    ///   and/or followed by a pronoun subject, at a dash standing alone, at a comma followed
    ///   by a subject in a clause that itself starts with "I" or "my", and at a comma
    ///   followed by "I" or "my" after a phrase that is not a time or habit ("In the
    ///   meantime, I …"; "Every morning, I …" stays one clause);
    /// - a clause opened by since, when, after, because, although, though, while, as, once
    ///   or before ends at its first comma and is read without that word ("Since I lost my
    ///   job, …" → "I lost my job"); a sentence with a clause opened by if, unless or
    ///   whether is hypothetical and gives none;
    /// - a clause that starts with a past tense or "been" is read with the "I" that chat
    ///   leaves out ("Lost my job yesterday" → "I lost my job yesterday"); a regular past
    ///   tense only before an object ("Started a new job", not "Blessed we …").
    static func clauses(_ tokens: [Token]) -> [[Token]] {
        var clauses: [[Token]] = []
        var current: [Token] = []
        func close() {
            if !current.isEmpty { clauses.append(current) }
            current = []
        }
        for (index, token) in tokens.enumerated() {
            let next = index + 1 < tokens.count ? tokens[index + 1].word : ""
            if !current.isEmpty {
                let isDash = token.word.isEmpty && ["-", "–", "—", "--"].contains(token.text)
                let conjunction =
                    (Lexicon.clauseConjunctions.contains(token.word) && Lexicon.clauseSubjects.contains(next))
                    || (["and", "or"].contains(token.word) && Lexicon.pronounSubjects.contains(next))
                if isDash || conjunction {
                    close()
                    continue
                }
            }
            current.append(token)
            let opener = current.first?.word ?? ""
            let subordinate = Lexicon.subordinators.contains(opener) || Lexicon.conditionals.contains(opener)
            let firstPerson = opener == "i" || opener == "my"
            if token.text.hasSuffix(","),
                subordinate || (firstPerson && Lexicon.clauseSubjects.contains(next))
                    || (["i", "my"].contains(next) && !Self.isTimeOrHabit(current))
            {
                close()
            }
        }
        close()
        if clauses.contains(where: { Lexicon.conditionals.contains($0[0].word) }) { return [] }
        return clauses.map { clause in
            var clause = clause
            if clause.count > 1, Lexicon.subordinators.contains(clause[0].word), ["i", "my"].contains(clause[1].word) {
                clause.removeFirst()
            }
            if let first = clause.first, first.text.first?.isLetter == true {
                if first.word == "been" {
                    clause = [Token("I"), Token("have")] + clause
                } else if Lexicon.isPastTense(first.word), !Lexicon.stateVerbs.contains(first.word),
                    !Lexicon.notActivities.contains(first.word), first.word != "did",
                    Lexicon.irregularPast.contains(first.word)
                        || Lexicon.objectStarters.contains(clause.count > 1 ? clause[1].word : "")
                {
                    clause = [Token("I")] + clause
                }
            }
            return clause
        }
    }

    /// A phrase holding a time or habit ("Every morning,", "Last Friday,"): it leads the
    /// clause after it rather than being a clause of its own.
    private static func isTimeOrHabit(_ tokens: [Token]) -> Bool {
        let habits = HabitMarks.scan(tokens)
        return habits.hasMarker || !TimeMention.scan(tokens, skipping: habits.covered).covered.isEmpty
    }

    /// An event is upcoming (category "schedule") when it falls on a later day than the
    /// message, or on the same day unless told in the past tense; without a time, unless told
    /// in the past tense.
    private func isUpcoming(_ happenedAt: Date?, pastTense: Bool) -> Bool {
        guard let happenedAt else { return !pastTense }
        let day = LocalDay(happenedAt, calendar)
        let today = LocalDay(reference, calendar)
        return day > today || (day == today && !pastTense)
    }

    // MARK: Remember, remind

    /// The clause after "remember that", "note that", "keep in mind that", "don't forget
    /// that", "remember:" or "remember" followed by "I"/"my".
    static func rememberedClause(_ tokens: [Token]) -> [Token]? {
        let markers = [
            ["remember", "that"], ["note", "that"], ["keep", "in", "mind", "that"], ["do", "not", "forget", "that"],
        ]
        var length = markers.first(where: { tokens.matches($0, at: 0) })?.count
        if length == nil, tokens.first?.word == "remember", tokens.count > 1 {
            if tokens[0].text.hasSuffix(":") || ["i", "my"].contains(tokens[1].word) { length = 1 }
        }
        guard let length, tokens.count > length else { return nil }
        return Array(tokens[length...])
    }

    /// The task after "remind me to", "remember to", "don't forget to", "don't let me forget
    /// to", "I need/have/must/should/want to remember to".
    static func reminderTask(_ core: [Token]) -> [Token]? {
        let markers = [
            ["remind", "me", "to"], ["remember", "to"], ["do", "not", "forget", "to"],
            ["do", "not", "let", "me", "forget", "to"],
        ]
        let intentions = ["need", "have", "must", "should", "want"]
        var length = markers.first(where: { core.matches($0, at: 0) })?.count
        if length == nil, core.count > 4, core[0].word == "i", intentions.contains(core[1].word) {
            let rest = core[1].word == "must" || core[1].word == "should" ? 2 : 3
            if core.matches(["remember", "to"], at: rest) { length = rest + 2 }
        }
        guard let length else { return nil }
        return Array(core[length...])
    }

    /// A remembered statement that is not first person: "the wifi password is hunter2" or
    /// a habitual fact, "the office closes at 6pm on Fridays" (knowledge), or one that states
    /// a time (event).
    private func knowledge(_ clause: Clause) -> Finding? {
        let core = clause.core
        guard let first = core.first?.word, first != "i", first != "my" else { return nil }
        let written = FirstPerson.referencesAsThey(clause.display)
        if clause.time.isPinned && !clause.habits.hasMarker {
            let past = core.words.contains { $0 == "was" || $0 == "were" }
            return Finding(
                type: .event, statement: FirstPerson.referencesAsThey(core), time: clause.time, pastTense: past,
                unresolvedStatement: written, subject: .other)
        }
        let words = clause.display.words
        guard words.contains("is") || words.contains("are") || clause.habits.hasMarker else { return nil }
        return Finding(type: .knowledge, statement: written, subject: .other)
    }
}
