extension Sentence {
    /// The words the rules read, contractions expanded; `nil` when the sentence is skipped:
    /// a question, or fewer than three words once greetings and courtesy words are dropped
    /// and contractions expanded ("I'm vegetarian" is three words).
    var statementTokens: [Token]? {
        guard !isQuestion else { return nil }
        var tokens = Token.tokenize(text)
        dropOpeners(&tokens)
        while tokens.count > 1, let last = tokens.last, Lexicon.closers.contains(last.word) {
            tokens.removeLast()
        }
        if tokens.count > 2, tokens.matches(["thank", "you"], at: tokens.count - 2) { tokens.removeLast(2) }
        let expanded = Token.expandingContractions(tokens)
        guard expanded.filter(\.isWord).count >= 3 else { return nil }
        if let first = expanded.first?.word.split(separator: "'").first.map(String.init),
            Lexicon.questionStarters.contains(first), expanded.count > 1, expanded[1].word != "not"
        {
            return nil
        }
        return expanded
    }

    private func dropOpeners(_ tokens: inout [Token]) {
        var dropped = true
        while dropped {
            dropped = false
            for opener in Lexicon.openers where tokens.count > opener.count && tokens.matches(opener, at: 0) {
                tokens.removeFirst(opener.count)
                dropped = true
                break
            }
        }
    }
}
