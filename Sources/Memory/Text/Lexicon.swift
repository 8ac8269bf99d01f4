/// The word lists the rules match on. Every entry is lowercase, like `Token.word`.
enum Lexicon {
    // MARK: Sentence shape

    /// Contractions and their expansions. "I" is the only word kept capitalized.
    static let contractions: [String: [String]] = [
        "i'm": ["I", "am"], "im": ["I", "am"], "i've": ["I", "have"], "i'll": ["I", "will"],
        "i'd": ["I", "would"],
        "don't": ["do", "not"], "doesn't": ["does", "not"], "didn't": ["did", "not"],
        "can't": ["cannot"], "won't": ["will", "not"], "isn't": ["is", "not"],
        "aren't": ["are", "not"], "wasn't": ["was", "not"], "weren't": ["were", "not"],
        "haven't": ["have", "not"], "hasn't": ["has", "not"], "hadn't": ["had", "not"],
        "couldn't": ["could", "not"], "wouldn't": ["would", "not"], "shouldn't": ["should", "not"],
        "it's": ["it", "is"], "that's": ["that", "is"], "there's": ["there", "is"],
        "name's": ["name", "is"],
    ]

    /// Greetings and discourse words dropped from the start of a sentence.
    static let openers: [[String]] = [
        ["by", "the", "way"], ["thank", "you"], ["good", "morning"], ["good", "afternoon"],
        ["good", "evening"], ["hi"], ["hello"], ["hey"], ["hiya"], ["yo"], ["ok"], ["okay"], ["oh"],
        ["well"], ["so"], ["also"], ["and"], ["but"], ["btw"], ["actually"], ["anyway"], ["anyways"],
        ["yes"], ["yeah"], ["yep"], ["no"], ["nope"], ["sure"], ["thanks"], ["cool"], ["great"],
        ["um"], ["uh"], ["hmm"], ["fyi"], ["honestly"], ["please"],
    ]

    /// Courtesy words dropped from the end of a sentence.
    static let closers: Set<String> = ["please", "thanks", "thx", "lol", "haha"]

    /// A sentence starting with one of these (not followed by "not") is a question.
    static let questionStarters: Set<String> = [
        "what", "who", "whom", "whose", "where", "when", "why", "how", "which", "is", "are", "am",
        "do", "does", "did", "can", "could", "would", "will", "should", "shall", "may", "might",
        "have", "has", "had", "was", "were", "any", "anything",
    ]

    /// Words that can start the clause the rules read, after a leading time or habit phrase.
    static let clauseStarters: Set<String> = ["i", "my", "remind", "remember", "do"]

    /// Statements ending in one of these depend on context the extractor does not have.
    static let barePronouns: Set<String> = [
        "it", "this", "that", "you", "them", "him", "her", "those", "these", "one", "so",
    ]
    /// Intensifiers skipped when looking for a bare pronoun at the end ("I like it a lot").
    static let trailingIntensifiers: Set<String> = ["too", "also", "either", "much", "lot", "a", "very", "so"]

    // MARK: Verbs and adverbs

    /// Adverbs between "I" and the verb that add nothing and are dropped.
    static let fillerAdverbs: Set<String> = [
        "also", "really", "just", "actually", "totally", "absolutely", "definitely", "truly",
        "honestly", "kinda", "basically", "literally", "even", "finally", "recently", "already",
    ]

    /// Adverbs of frequency: a first-person sentence holding one is a habit (behavior).
    static let frequencyAdverbs: Set<String> = [
        "usually", "always", "often", "normally", "typically", "generally", "regularly", "rarely",
        "seldom", "never", "sometimes", "occasionally", "frequently", "daily", "weekly", "nightly",
        "monthly", "constantly", "habitually",
    ]

    static let modals: Set<String> = [
        "can", "cannot", "could", "will", "would", "shall", "should", "may", "might", "must",
    ]

    /// Irregular past tenses (regular ones end in "-ed").
    static let irregularPast: Set<String> = [
        "was", "were", "had", "did", "went", "got", "came", "saw", "met", "made", "took", "ate",
        "drank", "flew", "ran", "bought", "brought", "left", "told", "said", "found", "gave",
        "began", "wrote", "slept", "felt", "kept", "lost", "paid", "sent", "spent", "thought", "won",
        "wore", "drove", "rode", "swam", "sang", "sat", "stood", "heard", "knew", "taught", "caught",
        "fought", "built", "broke", "chose", "fell", "forgot", "grew", "held", "understood",
        "became", "woke", "spoke", "sold", "threw", "led", "meant", "fed", "fled", "bled", "sped",
    ]

    /// Words ending in "-ed" that are present tense.
    static let presentEndingInEd: Set<String> = [
        "need", "feed", "seed", "speed", "bleed", "breed", "proceed", "succeed", "exceed", "embed",
        "shed",
    ]

    /// Verbs after "I" that state an intention or an arrangement rather than a routine:
    /// with a clock time they make an event, not a behavior.
    static let nonRoutineVerbs: Set<String> = [
        "am", "is", "are", "was", "were", "will", "would", "have", "has", "had", "need", "must",
        "should", "shall", "can", "cannot", "could", "may", "might", "want", "plan", "hope",
        "intend", "expect", "did",
    ]

    /// Verbs that may follow "my <noun>" ("my sister lives in Lyon").
    static let possessiveVerbs: Set<String> = [
        "is", "are", "was", "were", "will", "has", "have", "had", "does", "did", "can", "starts",
        "begins", "ends", "leaves", "departs", "arrives", "lands", "lives", "works", "loves",
        "likes", "hates", "studies", "visits", "comes", "goes", "gets", "turns", "takes", "needs",
        "wants", "hurts", "calls", "opens", "closes", "plays", "teaches", "love", "like", "hate",
        "live", "work", "study", "play", "enjoy", "want", "need", "go", "come", "get", "make",
        "makes", "keep", "keeps", "help", "helps", "enjoys", "means", "mean", "brings", "bring",
        "reminds", "remind", "inspires", "inspire", "motivate", "motivates", "adores", "adore",
    ]

    // MARK: Activities, plans and feelings

    /// After "I": what follows is something planned or to do (an event).
    static let planMarkers: [[String]] = [
        ["will"], ["am", "going", "to"], ["am", "gonna"], ["gonna"], ["am", "planning", "to"],
        ["am", "planning", "on"], ["plan", "to"], ["plan", "on"], ["intend", "to"], ["am", "about", "to"], ["am", "off", "to"],
        ["am", "thinking", "of"], ["am", "thinking", "about"], ["need", "to"], ["have", "to"],
        ["have", "got", "to"], ["must"],
    ]

    /// After "I": a wish or goal (profile).
    static let goalMarkers: [[String]] = [
        ["want", "to"], ["hope", "to"], ["am", "hoping", "to"], ["dream", "of"],
        ["am", "dreaming", "of"], ["aim", "to"], ["am", "aiming", "to"], ["would", "love", "to"],
        ["would", "like", "to"],
    ]

    /// Verbs that tell what the speaker thinks, says or perceives about the conversation
    /// rather than what they do ("I think so", "I guess", "I mean …", "I've heard …"),
    /// in every form the activity rule looks at.
    static let notActivities: Set<String> = [
        "think", "thought", "thinking", "guess", "guessed", "know", "knew", "known", "mean", "meant",
        "wonder", "wondered", "wondering", "agree", "agreed", "believe", "suppose", "bet", "reckon",
        "remember", "remembered", "forget", "forgot", "forgotten", "understand", "understood", "see",
        "seen", "saw", "hear", "heard", "get", "appreciate", "appreciated", "wish", "promise",
        "assume", "imagine", "doubt", "say", "said", "tell", "told", "admit", "recall", "realize",
        "realized", "realise", "realised", "noticed", "figured", "kidding", "joking", "saying",
        "asking", "doing", "talking", "telling", "hoping", "glad", "sure", "sorry", "hope",
        "want", "need", "got", "gotten", "mind", "care", "totally", "feel", "felt", "feeling",
        "wanted", "needed", "asked", "answered", "replied",
    ]

    /// Auxiliaries and modals that do not start an activity on their own.
    static let auxiliaries: Set<String> = [
        "am", "is", "are", "was", "were", "be", "been", "have", "has", "had", "do", "does", "did",
        "will", "would", "could", "should", "shall", "may", "might", "must", "can", "cannot",
        "not",
    ]

    /// "-ing" verbs after "I am" that tell an arrangement (an event) rather than what the
    /// speaker is busy with these days (a behavior).
    static let arrangementVerbs: Set<String> = [
        "going", "moving", "flying", "leaving", "traveling", "travelling", "heading", "visiting",
        "meeting", "starting", "getting", "having", "taking", "seeing", "coming", "throwing",
        "hosting", "attending", "joining", "buying", "selling",
    ]

    /// Intensifiers skipped before the word a state names ("so happy", "really excited").
    static let intensifiers: Set<String> = [
        "so", "really", "very", "super", "pretty", "quite", "totally", "extremely", "incredibly",
        "truly", "kinda", "bit", "little", "too", "just", "still", "also", "absolutely", "completely",
        "a", "lately", "currently", "now", "beyond", "always",
    ]

    /// Words after "I am" that do not name a state of the speaker worth keeping.
    static let notStates: Set<String> = [
        "not", "sure", "glad", "sorry", "afraid", "here", "there", "all", "the", "an", "going",
        "gonna", "able", "about", "with", "for", "of", "to", "that", "this", "it", "one", "like",
        "down", "up",
    ]

    /// What may follow a state and say what it is about ("happy about", "swamped with").
    static let statePrepositions: Set<String> = [
        "about", "with", "for", "of", "to", "by", "at", "over", "from", "in", "on", "into",
    ]

    /// Past tenses that state how things were rather than what happened ("my dad was a teacher").
    static let stateVerbs: Set<String> = ["was", "were", "had", "used"]

    /// Determiners and possessives that may follow a regular past tense opening a clause
    /// whose "I" is left out ("Started a new job"); "Blessed we …" is not one.
    static let objectStarters: Set<String> = [
        "a", "an", "the", "my", "our", "some", "two", "three", "out", "up", "back", "home",
    ]

    /// Objects that leave an activity needing context ("I'll keep that in mind"): these
    /// always, and the demonstratives when nothing, or only a preposition, follows them.
    static let contextObjects: Set<String> = ["it", "them", "him", "you", "there", "here"]
    static let demonstratives: Set<String> = ["that", "this", "these", "those", "one", "so"]

    /// Second-person words: a statement holding one is about the listener ("I'm proud of you").
    static let listenerWords: Set<String> = [
        "you", "your", "yours", "yourself", "ya", "u", "you're", "you've", "you'll", "you'd",
    ]

    /// Irregular past participles that differ from the past tense ("have been", "have gone").
    static let irregularParticiples: Set<String> = [
        "been", "done", "gone", "seen", "taken", "given", "written", "begun", "become", "grown",
        "known", "eaten", "driven", "ridden", "flown", "swum", "sung", "spoken", "chosen", "broken",
        "forgotten", "gotten", "fallen", "thrown", "shown", "drawn", "worn", "run", "come",
    ]

    static func isPastParticiple(_ word: String) -> Bool {
        irregularParticiples.contains(word) || (isPastTense(word) && !["was", "were", "did", "went"].contains(word))
    }

    // MARK: Clauses

    /// Conjunctions that start a new clause when a subject follows ("…, so I'm gonna …").
    static let clauseConjunctions: Set<String> = ["but", "so", "because", "cause", "'cause", "plus", "though", "yet"]
    /// "and"/"or" start a new clause only before a pronoun subject ("… and it was great").
    static let pronounSubjects: Set<String> = ["i", "it", "we", "he", "she", "they", "that", "this", "there"]
    /// Subjects after the conjunctions above.
    static let clauseSubjects: Set<String> = pronounSubjects.union(["my", "our", "his", "her", "their"])
    /// Words that open a subordinate clause ("Since I lost my job, …"); the clause runs to
    /// the first comma and is read on its own.
    static let subordinators: Set<String> = [
        "since", "when", "after", "because", "although", "though", "while", "as", "once", "before",
    ]
    /// Open a clause that makes the sentence hypothetical ("If I win, I will …"): it gives none.
    static let conditionals: Set<String> = ["if", "unless", "whether"]

    // MARK: Profile vocabulary

    /// "I am <state>" stable states that make a profile fact.
    static let profileStates: Set<String> = [
        "allergic", "vegetarian", "vegan", "pescatarian", "married", "single", "divorced",
        "engaged", "widowed", "retired", "pregnant", "diabetic", "lactose", "gluten",
        "left-handed", "right-handed", "colorblind", "deaf", "blind", "intolerant", "working",
        "studying", "living", "based", "employed", "self-employed", "unemployed",
    ]

    /// Words after "I have a/an/two" that are not possessions ("I have a question").
    static let notPossessions: Set<String> = [
        "question", "questions", "idea", "problem", "issue", "doubt", "request", "suggestion",
        "favor", "favour", "moment", "minute", "second", "look", "feeling", "quick", "bit", "lot",
        "good", "great", "nice", "hard",
    ]

    /// Conditions named right after "I have" ("I have diabetes").
    static let conditions: Set<String> = [
        "diabetes", "asthma", "allergies", "insomnia", "migraines", "arthritis", "celiac",
        "hypertension", "adhd", "anxiety", "depression", "eczema",
    ]

    /// Determiners that make "I have <determiner> <noun>" a possession.
    static let quantifiers: Set<String> = [
        "a", "an", "no", "many", "several", "some", "one", "two", "three", "four", "five", "six",
        "seven", "eight", "nine", "ten",
    ]

    /// Nouns after "my" that make a stable profile fact ("my sister", "my job").
    static let profileHeads: Set<String> = [
        "name", "age", "birthday", "email", "phone", "address", "job", "occupation", "profession",
        "title", "role", "company", "employer", "boss", "manager", "team", "office", "hometown",
        "home", "city", "country", "nationality", "language", "diet", "allergy", "allergies",
        "blood", "major", "school", "university", "family", "wife", "husband", "partner", "spouse",
        "son", "daughter", "kid", "kids", "child", "children", "baby", "mom", "mum", "mother",
        "dad", "father", "parents", "sister", "brother", "siblings", "grandma", "grandmother",
        "grandpa", "grandfather", "aunt", "uncle", "cousin", "girlfriend", "boyfriend", "fiance",
        "fiancee", "dog", "cat", "pet", "puppy", "kitten", "friend", "friends", "mentor", "mentors",
        "grandkids", "grandchildren", "nephew", "niece", "neighbor", "neighbour", "roommate",
        "coworker", "coworkers", "colleague", "colleagues", "students", "store", "shop", "business",
        "studio", "house", "apartment", "car", "hobby", "passion", "goal", "dream", "career", "band",
        "church", "blog", "garden", "twins", "sons", "daughters",
        "brothers", "sisters", "grandparents", "dogs", "cats", "pets",
    ]

    // MARK: Time

    static let weekdays: [String: Int] = [
        "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
        "sunday": 6,
    ]
    static let pluralWeekdays: Set<String> = [
        "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays",
    ]

    /// Month names and abbreviations. "may" is a month only next to a day number.
    static let months: [String: Int] = [
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
        "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
        "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
        "december": 12, "dec": 12,
    ]

    static let numberWords: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
        "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    ]

    /// Period words after "every"/"each" that make a habit phrase.
    static let periods: Set<String> = [
        "day", "morning", "afternoon", "evening", "night", "week", "weekend", "month", "year",
        "weekday", "summer", "winter", "spring", "autumn", "fall", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday",
    ]

    /// Vague times: the sentence is about a time that cannot be pinned to a day.
    static let vagueUnits: Set<String> = [
        "week", "weekend", "month", "year", "summer", "winter", "spring", "autumn", "fall",
    ]

    static let datePrepositions: Set<String> = [
        "on", "by", "before", "after", "until", "till", "from", "since", "to", "for",
    ]
    static let clockPrepositions: Set<String> = [
        "at", "by", "before", "after", "until", "till", "from", "around",
    ]

    /// Words that keep their capital when a leading phrase moves to the end of a statement.
    static func isProperNoun(_ word: String) -> Bool {
        weekdays[word] != nil || pluralWeekdays.contains(word) || (months[word] != nil && word != "may")
            || word == "i"
    }

    static func isPastTense(_ word: String) -> Bool {
        if irregularPast.contains(word) { return true }
        return word.count > 3 && word.hasSuffix("ed") && !presentEndingInEd.contains(word)
    }
}
