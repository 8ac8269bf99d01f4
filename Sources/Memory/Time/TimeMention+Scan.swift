extension TimeMention {
    /// Finds the time expressions of a sentence, ignoring the `blocked` tokens (habit phrases).
    ///
    /// Two days, two clock times or two offsets ("from Monday to Friday", "5pm or 6pm") do
    /// not pin one time: the mention is then only vague and covers nothing.
    static func scan(_ tokens: [Token], skipping blocked: Set<Int>) -> TimeMention {
        let scanner = TimeScanner(tokens: tokens, blocked: blocked)
        var mention = TimeMention()
        var index = 0
        while index < tokens.count {
            if !blocked.contains(index), let found = scanner.match(at: index) {
                guard mention.absorb(found) else { return TimeMention(isVague: true) }
                mention.covered.formUnion(found.range)
                index = found.range.upperBound
                continue
            }
            if !blocked.contains(index), scanner.isVague(at: index) { mention.isVague = true }
            index += 1
        }
        return mention
    }

    /// Takes a found piece; `false` if one of its kind was already taken.
    private mutating func absorb(_ found: TimeScanner.Found) -> Bool {
        switch found.piece {
        case .day(let day, let part):
            guard self.day == nil else { return false }
            self.day = day
            if let part, partOfDay == nil { partOfDay = part }
            if let preposition = found.preposition { dayPreposition = preposition }
        case .clock(let clock):
            guard self.clock == nil else { return false }
            self.clock = clock
            if let preposition = found.preposition { clockPreposition = preposition }
        case .part(let part):
            if partOfDay == nil { partOfDay = part }
        case .offset(let seconds):
            guard offsetSeconds == nil else { return false }
            offsetSeconds = seconds
        }
        return true
    }
}

/// Reads time expressions at a token position. See docs/extraction.md, "Time".
struct TimeScanner {
    let tokens: [Token]
    let blocked: Set<Int>

    enum Piece {
        case day(TimeMention.Day, TimeMention.PartOfDay?)
        case clock(TimeMention.Clock)
        case part(TimeMention.PartOfDay)
        case offset(seconds: Int)
    }

    struct Found {
        var range: Range<Int>
        var piece: Piece
        /// The preposition written before it, when it belongs to the expression ("by Friday").
        var preposition: String?
    }

    /// The time expression starting at `index`, or at `index + 1` after a preposition.
    func match(at index: Int) -> Found? {
        if let (length, piece) = piece(at: index, afterPreposition: false) {
            return Found(range: index..<index + length, piece: piece, preposition: nil)
        }
        let preposition = tokens[index].word
        let isDay = Lexicon.datePrepositions.contains(preposition)
        let isClock = Lexicon.clockPrepositions.contains(preposition)
        guard isDay || isClock, !blocked.contains(index + 1),
            let (length, piece) = piece(at: index + 1, afterPreposition: true)
        else { return nil }
        switch piece {
        case .day where isDay, .clock where isClock:
            let shown = preposition == "on" || preposition == "at" ? nil : preposition
            return Found(range: index..<index + 1 + length, piece: piece, preposition: shown)
        default:
            return nil
        }
    }

    /// "next week", "this weekend", "5/3": a time the extractor does not pin to a day.
    func isVague(at index: Int) -> Bool {
        let word = tokens[index].word
        if ["next", "this", "last", "coming"].contains(word), let unit = self.word(index + 1),
            Lexicon.vagueUnits.contains(unit)
        {
            return true
        }
        if word == "the", self.word(index + 1) == "weekend" { return true }
        return Self.isNumericDate(word)
    }

    /// "5/3", "5/3/26", "03.05.2026": day and month order unknown.
    static func isNumericDate(_ word: String) -> Bool {
        for separator in ["/", "."] as [Character] {
            let parts = word.split(separator: separator, omittingEmptySubsequences: false)
            let sizes = separator == "/" ? 2...3 : 3...3
            if sizes.contains(parts.count),
                parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) })
            {
                return true
            }
        }
        return false
    }

    private func word(_ index: Int) -> String? {
        index < tokens.count && !blocked.contains(index) ? tokens[index].word : nil
    }

    private func piece(at index: Int, afterPreposition: Bool) -> (Int, Piece)? {
        guard index < tokens.count else { return nil }
        return relativeDay(at: index) ?? amount(at: index) ?? partOfDay(at: index) ?? calendarDate(at: index)
            ?? weekday(at: index, afterPreposition: afterPreposition) ?? clock(at: index)
    }

    // MARK: Pieces

    /// today, tonight, tomorrow (morning), yesterday, the day after tomorrow, this evening, last night.
    private func relativeDay(at index: Int) -> (Int, Piece)? {
        var length: Int
        var days: Int
        var part: TimeMention.PartOfDay?
        if tokens.matches(["the", "day", "after", "tomorrow"], at: index) {
            (length, days) = (4, 2)
        } else if tokens.matches(["the", "day", "before", "yesterday"], at: index) {
            (length, days) = (4, -2)
        } else if tokens.matches(["day", "after", "tomorrow"], at: index) {
            (length, days) = (3, 2)
        } else {
            switch tokens[index].word {
            case "today": (length, days) = (1, 0)
            case "tomorrow": (length, days) = (1, 1)
            case "yesterday": (length, days) = (1, -1)
            case "tonight": return (1, .day(.offset(days: 0), .night))
            case "this":
                guard let next = word(index + 1), let thisPart = TimeMention.PartOfDay(next), thisPart != .night
                else { return nil }
                return (2, .day(.offset(days: 0), thisPart))
            case "last":
                guard word(index + 1) == "night" else { return nil }
                return (2, .day(.offset(days: -1), .night))
            default: return nil
            }
        }
        if let next = word(index + length), let nextPart = TimeMention.PartOfDay(next) {
            part = nextPart
            length += 1
        }
        return (length, .day(.offset(days: days), part))
    }

    /// in 3 days, in a week, in 2 hours, in 2 months, 3 days ago.
    private func amount(at index: Int) -> (Int, Piece)? {
        let ahead = tokens[index].word == "in"
        let start = ahead ? index + 1 : index
        guard let count = number(word(start)), let unit = word(start + 1) else { return nil }
        let length: Int
        let sign: Int
        if ahead {
            (length, sign) = (3, 1)
        } else if word(start + 2) == "ago" {
            (length, sign) = (3, -1)
        } else {
            return nil
        }
        let amount = count * sign
        switch unit {
        case "minute", "minutes": return (length, .offset(seconds: amount * 60))
        case "hour", "hours": return (length, .offset(seconds: amount * 3600))
        case "day", "days": return (length, .day(.offset(days: amount), nil))
        case "week", "weeks": return (length, .day(.offset(days: amount * 7), nil))
        case "month", "months": return (length, .day(.months(amount), nil))
        default: return nil
        }
    }

    /// in the morning/afternoon/evening, at night.
    private func partOfDay(at index: Int) -> (Int, Piece)? {
        if tokens.matches(["at", "night"], at: index) { return (2, .part(.night)) }
        guard tokens[index].word == "in", word(index + 1) == "the", let next = word(index + 2),
            let part = TimeMention.PartOfDay(next), part != .night
        else { return nil }
        return (3, .part(part))
    }

    /// 2026-05-03, May 3, May 3rd 2026, 3 May, the 3rd of May.
    private func calendarDate(at index: Int) -> (Int, Piece)? {
        let word = tokens[index].word
        if let (year, month, day) = Self.isoDate(word) {
            return (1, .day(.calendar(month: month, day: day, year: year), nil))
        }
        var position = word == "the" ? index + 1 : index
        var month: Int?
        var day: Int?
        if let number = Self.dayNumber(self.word(position)) {
            day = number
            position += 1
            if self.word(position) == "of" { position += 1 }
            month = self.word(position).flatMap { Lexicon.months[$0] }
            position += 1
        } else if position == index, let named = Lexicon.months[word], let number = Self.dayNumber(self.word(index + 1))
        {
            (month, day) = (named, number)
            position = index + 2
        }
        guard let month, let day else { return nil }
        var year: Int?
        if let written = self.word(position), written.count == 4, let number = Int(written),
            (1900...2100).contains(number)
        {
            year = number
            position += 1
        }
        return (position - index, .day(.calendar(month: month, day: day, year: year), nil))
    }

    /// [this|next|last|coming] Friday [morning]. A bare weekday ("I'm meeting Tom Friday") counts
    /// only first in the sentence, last in it or before punctuation, or before a time.
    private func weekday(at index: Int, afterPreposition: Bool) -> (Int, Piece)? {
        var position = index
        var modifier = TimeMention.WeekdayModifier.plain
        switch tokens[index].word {
        case "this" where word(index + 1) == "coming", "coming":
            position += tokens[index].word == "this" ? 2 : 1
        case "this": (modifier, position) = (.this, index + 1)
        case "next": (modifier, position) = (.next, index + 1)
        case "last": (modifier, position) = (.last, index + 1)
        default: break
        }
        guard let name = word(position), let weekday = Lexicon.weekdays[name] else { return nil }
        var end = position + 1
        var part: TimeMention.PartOfDay?
        if let next = word(end), let nextPart = TimeMention.PartOfDay(next) {
            part = nextPart
            end += 1
        }
        if position == index, !afterPreposition {
            let standsAlone = index == 0 || end == tokens.count || !tokens[end - 1].trailingPunctuation.isEmpty
            let beforeTime = clock(at: end) != nil || (word(end) == "at" && clock(at: end + 1) != nil)
            guard standsAlone || beforeTime || part != nil else { return nil }
        }
        return (end - index, .day(.weekday(weekday, modifier), part))
    }

    /// 5pm, 5:30 pm, 17:30, noon, midnight.
    private func clock(at index: Int) -> (Int, Piece)? {
        guard let word = word(index) else { return nil }
        switch word {
        case "noon", "midday": return (1, .clock(.init(hour: 12, minute: 0)))
        case "midnight": return (1, .clock(.init(hour: 0, minute: 0)))
        default: break
        }
        if let clock = Self.clock(word, meridiem: nil) { return (1, .clock(clock)) }
        if let meridiem = self.word(index + 1), meridiem == "am" || meridiem == "pm",
            let clock = Self.clock(word, meridiem: meridiem)
        {
            return (2, .clock(clock))
        }
        return nil
    }

    // MARK: Words

    private func number(_ word: String?) -> Int? {
        guard let word else { return nil }
        if let value = Int(word), (1...999).contains(value) { return value }
        return Lexicon.numberWords[word]
    }

    /// "3", "3rd", "21st" → a day of the month.
    static func dayNumber(_ word: String?) -> Int? {
        guard var word else { return nil }
        for suffix in ["st", "nd", "rd", "th"] where word.hasSuffix(suffix) {
            word.removeLast(2)
            break
        }
        guard word.count <= 2, word.allSatisfy(\.isASCIIDigit), let value = Int(word), (1...31).contains(value)
        else { return nil }
        return value
    }

    /// "2026-05-03".
    static func isoDate(_ word: String) -> (Int, Int, Int)? {
        let parts = word.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return (year, month, day)
    }

    /// "5pm", "5:30pm", "12am" (12-hour, with a meridiem written or passed), or "17:30" (24-hour).
    static func clock(_ word: String, meridiem: String?) -> TimeMention.Clock? {
        var text = Substring(word)
        var meridiem = meridiem
        if meridiem == nil, let suffix = ["am", "pm"].first(where: { text.hasSuffix($0) }) {
            meridiem = suffix
            text = text.dropLast(2)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            parts[0].count <= 2, let hour = Int(parts[0])
        else { return nil }
        var minute = 0
        if parts.count == 2 {
            guard parts[1].count == 2, let value = Int(parts[1]), value < 60 else { return nil }
            minute = value
        }
        switch meridiem {
        case "am", "pm":
            guard (1...12).contains(hour) else { return nil }
            return .init(hour: hour % 12 + (meridiem == "pm" ? 12 : 0), minute: minute)
        default:
            guard parts.count == 2, hour < 24 else { return nil }
            return .init(hour: hour, minute: minute)
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
