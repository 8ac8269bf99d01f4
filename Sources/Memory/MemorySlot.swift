public import Foundation

/// The single-valued thing a memory states, when it is one: where the speaker lives,
/// works, studies, who they are with, their name, a favourite, when a named event is. A
/// newer memory of the same slot supersedes the older one (docs/extraction.md §12).
///
/// Read from the statement as the extractor writes it (§2), so it works on any memory in
/// that form, extracted or added directly. The slot is prefixed with the lowercased
/// subject when the statement names one (`caroline:residence`), so two speakers of one
/// conversation keep their own.
public enum MemorySlot {
    /// Each slot and the statement openings (lowercase, subject removed) that fill it.
    /// (Patterns are compiled per call: `Regex` is not `Sendable`, and a memorize reads a
    /// handful of statements.)
    static let rules: [(slot: String, pattern: String)] = [
        ("residence", #"^(now |currently |still )?(lives|is living|resides|moved|has moved|moved back|relocated|has relocated) (in|to) "#),
        ("employer", #"^(now |currently )?(works|is working) (at|for) |^(started|has started|began) (working|a new job) (at|for) |^got a job (at|with) |^is employed (at|by) "#),
        ("occupation", #"^(now |currently )?(works|is working) as "#),
        ("school", #"^(now |currently )?(studies|is studying) at |^(goes to|attends) (school|college|university) |^is a student at |^is enrolled (at|in) "#),
        ("relationship", #"^(now )?is (dating|married|engaged|in a relationship|single|divorced|widowed|separated)\b|^(got married|got engaged|broke up with|split up with|divorced|separated from) "#),
        ("name", #"^name is |^is called |^goes by "#),
    ]

    /// `favorite color is blue` → `favorite:color`.
    static let favorite = #"^(favorite|favourite) ([a-z]+(?: [a-z]+)?) (is|are) "#
    /// `dentist appointment was moved to 2026-03-16` → `schedule:dentist appointment`.
    static let schedule =
        #"^([a-z][a-z ]{1,40}?) (is|was|has been) (now )?((moved|rescheduled|postponed|pushed|changed|brought forward) )?(to|on|at|for) \d{4}-\d{2}-\d{2}"#

    /// The statement's slot, or nil. `subject`: the speaker's name the statement may start with.
    public static func of(_ text: String, subject: String? = nil) -> String? {
        var rest = text.trimmingCharacters(in: .whitespaces)
        var owner: String?
        if let subject, !subject.isEmpty {
            for prefix in ["\(subject)'s ", "\(subject) "] where rest.hasPrefix(prefix) {
                rest = String(rest.dropFirst(prefix.count))
                owner = subject.lowercased()
                // "Caroline's name is Ana" reads like "Name is Ana".
                if prefix.hasSuffix("'s ") { rest = rest.prefix(1).lowercased() + rest.dropFirst() }
                break
            }
        }
        let statement = rest.lowercased()
        func match(_ pattern: String) -> Regex<AnyRegexOutput>.Match? {
            (try? Regex(pattern)).flatMap { try? $0.prefixMatch(in: statement) }
        }
        let slot: String? =
            if let rule = rules.first(where: { match($0.pattern) != nil }) {
                rule.slot
            } else if let thing = match(favorite)?.output[2].substring {
                "favorite:\(thing)"
            } else if let thing = match(schedule)?.output[1].substring {
                "schedule:\(thing)"
            } else {
                nil
            }
        return slot.map { slot in owner.map { "\($0):\(slot)" } ?? slot }
    }
}
