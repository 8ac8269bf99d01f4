import Foundation

/// A mention pinned to an instant, and how a statement says it ("on 2026-03-11 at 15:00").
struct ResolvedTime: Sendable, Equatable {
    var date: Date
    var phrase: String
}

extension TimeMention {
    /// Pins the mention to an instant, reading it in `calendar`'s time zone relative to
    /// `reference`. `nil` when nothing pins a time, or the date does not exist (February 30).
    ///
    /// A plain weekday, a date without a year and a clock time without a day look ahead,
    /// or back when the day is introduced by "since", or the statement is in the past
    /// tense (`pastTense`) and the day is not introduced by "for", "by", "until", "till" or "to".
    func resolve(reference: Date, calendar: Calendar, pastTense: Bool) -> ResolvedTime? {
        let pastTense =
            switch dayPreposition {
            case "since": true
            case "for", "by", "until", "till", "to": false
            default: pastTense
            }
        if let offsetSeconds {
            let date = reference.addingTimeInterval(TimeInterval(offsetSeconds))
            let local = LocalDay(date, calendar)
            let clock = calendar.dateComponents([.hour, .minute], from: date)
            let shown = Clock(hour: clock.hour ?? 0, minute: clock.minute ?? 0)
            return ResolvedTime(date: date, phrase: "on \(local.text) at \(shown.text)")
        }
        guard isPinned else { return nil }
        let today = LocalDay(reference, calendar)
        var target: LocalDay
        switch day {
        case .offset(let days):
            target = today.adding(.day, days, calendar)
        case .months(let months):
            target = today.adding(.month, months, calendar)
        case .weekday(let weekday, let modifier):
            let current = (calendar.component(.weekday, from: reference) + 5) % 7
            target = today.adding(.day, Self.days(from: current, to: weekday, modifier, pastTense: pastTense), calendar)
        case .calendar(let month, let dayOfMonth, let year):
            guard
                let found = Self.calendarDay(
                    month: month, day: dayOfMonth, year: year, today: today,
                    pastTense: pastTense, calendar: calendar)
            else { return nil }
            target = found
        case nil:
            target = today
        }
        let hour = clock?.hour ?? partOfDay?.hour ?? 9
        let minute = clock?.minute ?? 0
        guard var date = target.date(hour: hour, minute: minute, calendar) else { return nil }
        if day == nil, !pastTense, date < reference {
            target = target.adding(.day, 1, calendar)
            guard let next = target.date(hour: hour, minute: minute, calendar) else { return nil }
            date = next
        }
        var phrase = "\(dayPreposition) \(target.text)"
        if let clock {
            phrase += " \(clockPreposition) \(clock.text)"
        } else if let partOfDay {
            phrase += " \(partOfDay.phrase)"
        }
        return ResolvedTime(date: date, phrase: phrase)
    }

    /// Days from weekday `current` to weekday `target` (0 = Monday).
    ///
    /// plain: the next one, 1…7 days ahead (1…7 back in the past tense); this: 0…6 ahead
    /// (0…6 back); next: the one in next week, weeks starting on Monday; last: 1…7 back.
    static func days(from current: Int, to target: Int, _ modifier: WeekdayModifier, pastTense: Bool) -> Int {
        let ahead = (target - current + 7) % 7
        let behind = (current - target + 7) % 7
        switch modifier {
        case .plain: return pastTense ? -(behind == 0 ? 7 : behind) : (ahead == 0 ? 7 : ahead)
        case .this: return pastTense ? -behind : ahead
        case .next: return 7 - current + target
        case .last: return -(behind == 0 ? 7 : behind)
        }
    }

    /// A month and day without a year take the next one on or after today (the last one
    /// on or before today in the past tense). February 29 looks up to 8 years further.
    private static func calendarDay(
        month: Int, day: Int, year: Int?, today: LocalDay, pastTense: Bool, calendar: Calendar
    ) -> LocalDay? {
        if let year {
            let written = LocalDay(year: year, month: month, day: day)
            return written.exists(calendar) ? written : nil
        }
        let step = pastTense ? -1 : 1
        var candidate = LocalDay(year: today.year, month: month, day: day)
        if pastTense ? candidate > today : candidate < today { candidate.year += step }
        for _ in 0...8 {
            if candidate.exists(calendar) { return candidate }
            candidate.year += step
        }
        return nil
    }
}

extension TimeMention.Clock {
    /// "15:00".
    var text: String { "\(LocalDay.pad(hour, 2)):\(LocalDay.pad(minute, 2))" }
}

/// A calendar day in the extraction time zone.
struct LocalDay: Sendable, Comparable {
    var year: Int
    var month: Int
    var day: Int

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(_ date: Date, _ calendar: Calendar) {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// "2026-03-11".
    var text: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }

    /// The instant of `hour:minute` on this day, or `nil` if the day does not exist.
    func date(hour: Int, minute: Int, _ calendar: Calendar) -> Date? {
        guard exists(calendar) else { return nil }
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
    }

    /// `Calendar` rolls February 30 over to March 2; a day exists if it survives the round trip.
    func exists(_ calendar: Calendar) -> Bool {
        guard let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)) else {
            return false
        }
        return LocalDay(noon, calendar) == self
    }

    func adding(_ unit: Calendar.Component, _ value: Int, _ calendar: Calendar) -> LocalDay {
        guard let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)),
            let moved = calendar.date(byAdding: unit, value: value, to: noon)
        else { return self }
        return LocalDay(moved, calendar)
    }

    static func < (lhs: LocalDay, rhs: LocalDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
