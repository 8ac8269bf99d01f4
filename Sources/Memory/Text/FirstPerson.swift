/// Rewrites first-person words for a statement whose subject, the user, is left out:
/// "I really like my green tea" → "Likes their green tea".
enum FirstPerson {
    /// The tokens after "I" as a predicate: filler adverbs before the verb are dropped,
    /// adverbs of frequency kept, the verb conjugated for an implied third person and later
    /// first-person words turned into singular they.
    static func predicate(_ tokens: some Collection<Token>) -> [Token] {
        var tokens = Array(tokens)[...]
        var kept: [Token] = []
        while let next = tokens.first,
            Lexicon.fillerAdverbs.contains(next.word) || Lexicon.frequencyAdverbs.contains(next.word)
        {
            if Lexicon.frequencyAdverbs.contains(next.word) { kept.append(next) }
            tokens.removeFirst()
        }
        guard let verb = tokens.popFirst() else { return [] }
        return kept + [verb.replacingWord(with: thirdPerson(verb.word))] + referencesAsThey(tokens)
    }

    /// "I" → "they" (with "am"/"was" after it → "are"/"were"), "me" → "them",
    /// "my" → "their", "mine" → "theirs", "myself" → "themselves".
    static func referencesAsThey(_ tokens: some Sequence<Token>) -> [Token] {
        var result: [Token] = []
        var afterI = false
        for token in tokens {
            let replacement: String? =
                switch token.word {
                case "i": "they"
                case "me": "them"
                case "my": "their"
                case "mine": "theirs"
                case "myself": "themselves"
                case "am" where afterI: "are"
                case "was" where afterI: "were"
                default: nil
                }
            afterI = token.word == "i"
            result.append(replacement.map { token.replacingWord(with: $0) } ?? token)
        }
        return result
    }

    /// The verb as it follows "she": "like" → "likes", "am" → "is", "have" → "has",
    /// "study" → "studies", "watch" → "watches". Modals, past tenses and "-ing" forms are
    /// unchanged.
    static func thirdPerson(_ verb: String) -> String {
        switch verb {
        case "am": return "is"
        case "have": return "has"
        case "do": return "does"
        case "go": return "goes"
        default: break
        }
        if Lexicon.modals.contains(verb) || Lexicon.isPastTense(verb) || verb.hasSuffix("ing") || verb.isEmpty {
            return verb
        }
        if ["s", "sh", "ch", "x", "z", "o"].contains(where: { verb.hasSuffix($0) }) { return verb + "es" }
        if verb.count > 1, verb.hasSuffix("y"), let before = verb.dropLast().last, !"aeiou".contains(before) {
            return verb.dropLast() + "ies"
        }
        return verb + "s"
    }
}

/// Turning statement tokens into memory text.
enum Statement {
    /// Joined by single spaces, trailing punctuation trimmed, first letter capitalized.
    static func text(_ tokens: [Token]) -> String {
        var text = tokens.joinedText
        while let last = text.last, last.isPunctuation || last.isWhitespace { text.removeLast() }
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// "Likes it", "Loves you so much": the statement needs context the extractor does not have.
    static func endsInBarePronoun(_ tokens: [Token]) -> Bool {
        var words = tokens.words.filter { !$0.isEmpty }[...]
        while let last = words.last, Lexicon.trailingIntensifiers.contains(last), words.count > 1 { words.removeLast() }
        guard let last = words.last else { return true }
        return Lexicon.barePronouns.contains(last)
    }
}
