/// What a sentence says about when: a day, a clock time, a part of the day or an offset
/// from now, and which tokens say it.
///
/// Only the first day, the first clock time and the first part of the day are taken; later
/// ones stay in the text.
struct TimeMention: Sendable {
    enum Day: Sendable, Equatable {
        /// "today" 0, "tomorrow" 1, "yesterday" -1, "in 3 days" 3, "2 weeks ago" -14.
        case offset(days: Int)
        /// "in 2 months", "a month ago".
        case months(Int)
        /// A weekday name, 0 = Monday … 6 = Sunday.
        case weekday(Int, WeekdayModifier)
        /// "May 3", "3rd of May 2026", "2026-05-03".
        case calendar(month: Int, day: Int, year: Int?)
    }

    enum WeekdayModifier: Sendable, Equatable {
        case plain, this, next, last
    }

    enum PartOfDay: Sendable, Equatable {
        case morning, afternoon, evening, night

        init?(_ word: String) {
            switch word {
            case "morning": self = .morning
            case "afternoon": self = .afternoon
            case "evening": self = .evening
            case "night": self = .night
            default: return nil
            }
        }

        /// The local hour it stands for.
        var hour: Int {
            switch self {
            case .morning: 9
            case .afternoon: 15
            case .evening: 19
            case .night: 20
            }
        }

        /// How a statement says it after the date.
        var phrase: String {
            switch self {
            case .morning: "in the morning"
            case .afternoon: "in the afternoon"
            case .evening: "in the evening"
            case .night: "at night"
            }
        }
    }

    struct Clock: Sendable, Equatable {
        var hour: Int
        var minute: Int
    }

    /// Tokens that state the time; events drop them from their text.
    var covered: Set<Int> = []
    var day: Day?
    var clock: Clock?
    var partOfDay: PartOfDay?
    /// "in 3 hours" / "2 hours ago": seconds from the reference instant.
    var offsetSeconds: Int?
    /// The preposition written before the day ("by Friday"), "on" when none was.
    var dayPreposition = "on"
    /// The preposition written before the clock time ("by 5pm"), "at" when none was.
    var clockPreposition = "at"
    /// The sentence names a time that cannot be pinned to a day ("next week", "5/3").
    var isVague = false

    /// The sentence states a time that resolves to an instant.
    var isPinned: Bool { day != nil || clock != nil || partOfDay != nil || offsetSeconds != nil }
    /// A clock time or part of the day, but no day.
    var isClockOnly: Bool { day == nil && offsetSeconds == nil && (clock != nil || partOfDay != nil) }
}
