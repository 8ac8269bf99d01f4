/// One sentence ready for the rules: its words, its habit and time phrases, and the
/// phrase before its subject.
struct Clause {
    let tokens: [Token]
    let habits: HabitMarks
    let time: TimeMention
    /// A time or habit phrase written before the subject ("Every morning, I …", "Tomorrow I …").
    let leading: Range<Int>

    init(_ tokens: [Token]) {
        var tokens = tokens
        // "Usually, I drink tea" reads as "I usually drink tea".
        if tokens.count > 2, Lexicon.frequencyAdverbs.contains(tokens[0].word), tokens[1].word == "i" {
            tokens[0...1] = [Token("I"), tokens[0].withoutTrailingPunctuation.lowercasingFirst]
        }
        self.tokens = tokens
        habits = HabitMarks.scan(tokens)
        time = TimeMention.scan(tokens, skipping: habits.covered)
        let phrases = habits.covered.union(time.covered)
        var start = 0
        while start < tokens.count {
            if phrases.contains(start) || !tokens[start].isWord {
                start += 1
            } else if Self.isVaguePhrase(tokens, at: start) {
                // "Last week I …": vague times are not covered phrases, but lead all the same.
                start += 2
            } else {
                break
            }
        }
        let subjectFollows = start < tokens.count && Lexicon.clauseStarters.contains(tokens[start].word)
        leading = subjectFollows ? 0..<start : 0..<0
    }

    /// "next week", "last summer", "this weekend", "the weekend".
    private static func isVaguePhrase(_ tokens: [Token], at index: Int) -> Bool {
        index + 1 < tokens.count && ["next", "this", "last", "coming", "the"].contains(tokens[index].word)
            && Lexicon.vagueUnits.contains(tokens[index + 1].word)
    }

    /// Without the leading phrase and the time expressions: what events are written from,
    /// before the resolved time is appended.
    var core: [Token] {
        tokens.indices.filter { !leading.contains($0) && !time.covered.contains($0) }.map { tokens[$0] }
    }

    /// From the subject on, with the leading phrase moved to the end ("I drink tea every
    /// morning"): what other statements are written from.
    var display: [Token] {
        var main = Array(tokens[leading.upperBound...])
        var moved = tokens[leading].filter(\.isWord).map(\.withoutTrailingPunctuation)
        guard let first = moved.first, let last = main.popLast() else { return main }
        if !Lexicon.isProperNoun(first.word) { moved[0] = first.lowercasingFirst }
        return main + [last.withoutTrailingPunctuation] + moved
    }
}
