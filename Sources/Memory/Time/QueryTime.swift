public import Foundation

/// The span of time a search query asks about, if it names one: "in May 2023", "in 2022",
/// "last week", "this month", "yesterday", "on 3 May 2023", "two weeks ago". Days are read
/// with the extractor's own time scanner; months, years and weeks here.
public enum QueryTime {
    public static func window(in query: String, reference: Date, timeZone: TimeZone) -> DateInterval? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        let tokens = query.split(whereSeparator: \.isWhitespace).map { Token(String($0)) }
        let words = tokens.map(\.word)
        if let span = periodSpan(words, reference: reference, calendar: calendar) { return span }
        let mention = TimeMention.scan(tokens, skipping: [])
        guard mention.day != nil || mention.offsetSeconds != nil,
              let resolved = mention.resolve(reference: reference, calendar: calendar, pastTense: true)
        else { return nil }
        return calendar.dateInterval(of: .day, for: resolved.date)
    }

    /// "May 2023", "in 2022", "last/this/next week|month|year".
    private static func periodSpan(_ words: [String], reference: Date, calendar: Calendar) -> DateInterval? {
        for (index, word) in words.enumerated() {
            let next = index + 1 < words.count ? words[index + 1] : nil
            // "march", "may" and "jan" are words too: a month needs a year after it or "in" before it.
            let previous = index > 0 ? words[index - 1] : nil
            if let month = Lexicon.months[word], next.flatMap(year) != nil || ["in", "during", "of", "since"].contains(previous ?? ""),
               let start = monthStart(month: month, year: next.flatMap(year), reference: reference, calendar: calendar)
            {
                return calendar.dateInterval(of: .month, for: start)
            }
            if let unit = ["week": Calendar.Component.weekOfYear, "month": .month, "year": .year][next ?? ""],
               let step = ["last": -1, "this": 0, "next": 1][word],
               let moved = calendar.date(byAdding: unit, value: step, to: reference)
            {
                return calendar.dateInterval(of: unit, for: moved)
            }
            if ["in", "during", "of"].contains(word), let year = next.flatMap(year),
               let start = calendar.date(from: DateComponents(year: year, month: 1, day: 1))
            {
                return calendar.dateInterval(of: .year, for: start)
            }
        }
        return nil
    }

    /// A year written as four digits in a range people talk about.
    private static func year(_ word: String) -> Int? {
        guard word.count == 4, let value = Int(word), (1900...2200).contains(value) else { return nil }
        return value
    }

    /// The month's first day: in `year`, or the latest such month not after the reference.
    private static func monthStart(month: Int, year: Int?, reference: Date, calendar: Calendar) -> Date? {
        let current = calendar.dateComponents([.year, .month], from: reference)
        guard let thisYear = current.year, let thisMonth = current.month else { return nil }
        let chosen = year ?? (month <= thisMonth ? thisYear : thisYear - 1)
        return calendar.date(from: DateComponents(year: chosen, month: month, day: 1))
    }
}
