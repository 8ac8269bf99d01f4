import Foundation
import Memory
import Testing

/// How times in a sentence become `happenedAt` and the date written into the text.
/// Reference 2026-03-10T14:00:00Z, a Tuesday.
@Suite("Time resolution")
struct TimeResolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var sentence: String
        var zone = "UTC"
        var text: String
        var happenedAt: String?

        var testDescription: String { "\(sentence) [\(zone)]" }
    }

    static let cases: [Case] = [
        // A day without a time is 09:00 local, even when that is already past.
        Case(
            sentence: "I have a meeting today.", text: "Has a meeting on 2026-03-10", happenedAt: "2026-03-10T09:00:00Z"
        ),
        Case(
            sentence: "I have a meeting today.", zone: "Asia/Shanghai", text: "Has a meeting on 2026-03-10",
            happenedAt: "2026-03-10T01:00:00Z"),
        Case(
            sentence: "I have a meeting tomorrow.", zone: "Asia/Shanghai", text: "Has a meeting on 2026-03-11",
            happenedAt: "2026-03-11T01:00:00Z"),
        Case(
            sentence: "I have a meeting the day after tomorrow.", text: "Has a meeting on 2026-03-12",
            happenedAt: "2026-03-12T09:00:00Z"),
        Case(sentence: "I met Bo yesterday.", text: "Met Bo on 2026-03-09", happenedAt: "2026-03-09T09:00:00Z"),
        // Weekdays: plain = next one (1…7 days), this = 0…6 days, next = in next week, last = 1…7 back.
        Case(
            sentence: "I have a meeting on Friday.", text: "Has a meeting on 2026-03-13",
            happenedAt: "2026-03-13T09:00:00Z"),
        Case(
            sentence: "I have a meeting on Tuesday.", text: "Has a meeting on 2026-03-17",
            happenedAt: "2026-03-17T09:00:00Z"),
        Case(
            sentence: "I have a meeting this Tuesday.", text: "Has a meeting on 2026-03-10",
            happenedAt: "2026-03-10T09:00:00Z"),
        Case(
            sentence: "I have a meeting next Friday.", text: "Has a meeting on 2026-03-20",
            happenedAt: "2026-03-20T09:00:00Z"),
        Case(
            sentence: "I have a meeting next Monday.", text: "Has a meeting on 2026-03-16",
            happenedAt: "2026-03-16T09:00:00Z"),
        Case(sentence: "I saw Ana last Tuesday.", text: "Saw Ana on 2026-03-03", happenedAt: "2026-03-03T09:00:00Z"),
        Case(sentence: "I saw Ana on Monday.", text: "Saw Ana on 2026-03-09", happenedAt: "2026-03-09T09:00:00Z"),
        // Amounts.
        Case(
            sentence: "I have a meeting in 2 weeks.", text: "Has a meeting on 2026-03-24",
            happenedAt: "2026-03-24T09:00:00Z"),
        Case(
            sentence: "I have a meeting in a month.", text: "Has a meeting on 2026-04-10",
            happenedAt: "2026-04-10T09:00:00Z"),
        Case(sentence: "I arrived 3 days ago.", text: "Arrived on 2026-03-07", happenedAt: "2026-03-07T09:00:00Z"),
        Case(
            sentence: "I need to leave in 2 hours.", text: "Needs to leave on 2026-03-10 at 16:00",
            happenedAt: "2026-03-10T16:00:00Z"),
        // Clock times without a day: today, or tomorrow if already past.
        Case(
            sentence: "I have a meeting at noon.", text: "Has a meeting on 2026-03-11 at 12:00",
            happenedAt: "2026-03-11T12:00:00Z"),
        Case(
            sentence: "I have a meeting at 14:00.", text: "Has a meeting on 2026-03-10 at 14:00",
            happenedAt: "2026-03-10T14:00:00Z"),
        Case(
            sentence: "I have a meeting at 1:59pm.", text: "Has a meeting on 2026-03-11 at 13:59",
            happenedAt: "2026-03-11T13:59:00Z"),
        Case(
            sentence: "I have a meeting at midnight.", text: "Has a meeting on 2026-03-11 at 00:00",
            happenedAt: "2026-03-11T00:00:00Z"),
        Case(
            sentence: "I have a meeting at 12pm tomorrow.", text: "Has a meeting on 2026-03-11 at 12:00",
            happenedAt: "2026-03-11T12:00:00Z"),
        Case(
            sentence: "I have a meeting at 5 pm tomorrow.", text: "Has a meeting on 2026-03-11 at 17:00",
            happenedAt: "2026-03-11T17:00:00Z"),
        Case(
            sentence: "I had lunch at noon.", text: "Had lunch on 2026-03-10 at 12:00",
            happenedAt: "2026-03-10T12:00:00Z"),
        Case(
            sentence: "I have a meeting in the afternoon.", text: "Has a meeting on 2026-03-10 in the afternoon",
            happenedAt: "2026-03-10T15:00:00Z"),
        Case(
            sentence: "I have a meeting tomorrow evening.", text: "Has a meeting on 2026-03-11 in the evening",
            happenedAt: "2026-03-11T19:00:00Z"),
        // Calendar dates: without a year, the next one on or after today.
        Case(
            sentence: "I have a meeting on 3 May.", text: "Has a meeting on 2026-05-03",
            happenedAt: "2026-05-03T09:00:00Z"),
        Case(
            sentence: "I have a meeting on May 3rd, 2027.", text: "Has a meeting on 2027-05-03",
            happenedAt: "2027-05-03T09:00:00Z"),
        Case(
            sentence: "I have a meeting on March 10.", text: "Has a meeting on 2026-03-10",
            happenedAt: "2026-03-10T09:00:00Z"),
        Case(
            sentence: "I have a meeting on March 9.", text: "Has a meeting on 2027-03-09",
            happenedAt: "2027-03-09T09:00:00Z"),
        Case(
            sentence: "I have a meeting on Feb 29.", text: "Has a meeting on 2028-02-29",
            happenedAt: "2028-02-29T09:00:00Z"),
        Case(
            sentence: "I booked a table for Friday at 8pm.", text: "Booked a table for 2026-03-13 at 20:00",
            happenedAt: "2026-03-13T20:00:00Z"),
        // Not pinned: the time stays as written and there is no happenedAt.
        Case(sentence: "I have a meeting on Feb 30.", text: "Has a meeting on Feb 30", happenedAt: nil),
        Case(sentence: "I have a meeting on 5/3.", text: "Has a meeting on 5/3", happenedAt: nil),
        Case(sentence: "I have a meeting next week.", text: "Has a meeting next week", happenedAt: nil),
    ]

    @Test(arguments: cases)
    func resolves(_ test: Case) throws {
        let found = extract(test.sentence, in: test.zone)
        let memory = try #require(found.first)
        #expect(found.count == 1)
        #expect(memory.type == .event)
        #expect(memory.text == test.text)
        #expect(memory.happenedAt == test.happenedAt.map(utc))
    }

    /// Zones without daylight saving time: the local wall time is fixed, the UTC instant
    /// moves by the zone's offset, and "tomorrow" is tomorrow in the zone.
    @Test(arguments: [
        ("UTC", "2026-03-11", "2026-03-11T15:00:00Z"),
        ("Asia/Shanghai", "2026-03-11", "2026-03-11T07:00:00Z"),
        ("Asia/Tokyo", "2026-03-11", "2026-03-11T06:00:00Z"),
        ("Asia/Kolkata", "2026-03-11", "2026-03-11T09:30:00Z"),
        ("Asia/Kathmandu", "2026-03-11", "2026-03-11T09:15:00Z"),
        ("Pacific/Honolulu", "2026-03-11", "2026-03-12T01:00:00Z"),
        ("Pacific/Kiritimati", "2026-03-12", "2026-03-12T01:00:00Z"),
    ])
    func fixedOffsetZones(_ zoneID: String, _ localDay: String, _ instant: String) {
        let found = extract("I have a dentist appointment tomorrow at 3pm.", in: zoneID)
        #expect(
            found == [
                memory(
                    .event, "Has a dentist appointment on \(localDay) at 15:00", ["health", "schedule"], at: instant)
            ])
    }

    @Test func offsetOnlyTimeZone() throws {
        let plusNine = try #require(TimeZone(secondsFromGMT: 9 * 3600))
        let found = RuleBasedExtractor().extract(
            [user("Remind me to water the plants tomorrow at 8:15am.")], reference: reference, timeZone: plusNine)
        #expect(
            found == [
                memory(
                    .event, "Needs to water the plants on 2026-03-11 at 08:15", ["schedule"], at: "2026-03-10T23:15:00Z"
                )
            ])
    }
}
