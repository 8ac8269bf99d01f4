/// Where a sentence says something is done repeatedly: "every morning", "on weekends",
/// "twice a week", "usually".
struct HabitMarks: Sendable {
    /// Tokens of habit phrases ("every morning"); adverbs ("usually") stay in place and are not covered.
    var covered: Set<Int> = []
    var hasMarker = false

    static func scan(_ tokens: [Token]) -> HabitMarks {
        var marks = HabitMarks()
        var index = 0
        while index < tokens.count {
            if Lexicon.frequencyAdverbs.contains(tokens[index].word) || tokens.matches(["tend", "to"], at: index) {
                marks.hasMarker = true
            }
            if let length = phraseLength(tokens, at: index) {
                marks.covered.formUnion(index..<index + length)
                marks.hasMarker = true
                index += length
            } else {
                index += 1
            }
        }
        return marks
    }

    private static func phraseLength(_ tokens: [Token], at index: Int) -> Int? {
        let word = tokens[index].word
        func at(_ offset: Int) -> String? {
            index + offset < tokens.count ? tokens[index + offset].word : nil
        }
        func isPeriod(_ word: String?) -> Bool {
            guard let word else { return false }
            return Lexicon.periods.contains(word) || Lexicon.periods.contains(String(word.dropLast()))
        }
        func isRate(_ word: String?) -> Bool { word == "a" || word == "per" }
        switch word {
        case "every", "each":
            if at(1) == "other", isPeriod(at(2)) { return 3 }
            if let count = at(1), Int(count) != nil || Lexicon.numberWords[count] != nil, isPeriod(at(2)) { return 3 }
            if isPeriod(at(1)) { return 2 }
        case "on", "at":
            if let next = at(1), ["weekends", "weekdays"].contains(next) || Lexicon.pluralWeekdays.contains(next) {
                return 2
            }
        case "most":
            if let next = at(1), ["days", "mornings", "afternoons", "evenings", "nights", "weekends"].contains(next) {
                return 2
            }
        case "in":
            if at(1) == "the", let next = at(2), ["mornings", "afternoons", "evenings"].contains(next) { return 3 }
        case "once", "twice":
            if isRate(at(1)), isPeriod(at(2)) { return 3 }
        case _ where Lexicon.pluralWeekdays.contains(word) || word == "weekends":
            return 1
        default:
            if Int(word) != nil || Lexicon.numberWords[word] != nil, at(1) == "times", isRate(at(2)),
                isPeriod(at(3))
            {
                return 4
            }
        }
        return nil
    }
}
