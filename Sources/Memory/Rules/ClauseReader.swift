import Foundation

/// Applies the extraction rules to the sentences of one message.
struct ClauseReader {
    /// When the message was written; relative times resolve against it.
    let reference: Date
    /// Gregorian, in the extraction time zone.
    let calendar: Calendar

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
    }

    /// The memory in one sentence's tokens, if a rule matches.
    func read(_ tokens: [Token]) -> ExtractedMemory? {
        if let remembered = Self.rememberedClause(tokens) {
            let clause = Clause(remembered)
            return read(clause, explicit: true) ?? memory(knowledge(clause))
        }
        return read(Clause(tokens), explicit: false)
    }

    /// `explicit`: the user asked for it to be remembered, so a first-person statement no
    /// other rule matches is still kept, as profile.
    private func read(_ clause: Clause, explicit: Bool) -> ExtractedMemory? {
        let core = clause.core
        if let task = Self.reminderTask(core) {
            guard !task.isEmpty else { return nil }
            let needs = [Token("Needs"), Token("to")]
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
        var text = Statement.text(finding.statement)
        var happenedAt: Date?
        if let time = finding.time {
            if let resolved = time.resolve(reference: reference, calendar: calendar, pastTense: finding.pastTense) {
                text += " " + resolved.phrase
                happenedAt = resolved.date
            } else if let unresolved = finding.unresolvedStatement {
                text = Statement.text(unresolved)
            }
        }
        var categories = finding.categories.union(MemoryCategory.matching(finding.statement.words))
        if finding.type == .event, isUpcoming(happenedAt, pastTense: finding.pastTense) {
            categories.insert(.schedule)
        }
        return ExtractedMemory(
            type: finding.type, text: text, categories: MemoryCategory.slugs(categories), happenedAt: happenedAt)
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
                unresolvedStatement: written)
        }
        let words = clause.display.words
        guard words.contains("is") || words.contains("are") || clause.habits.hasMarker else { return nil }
        return Finding(type: .knowledge, statement: written)
    }
}
