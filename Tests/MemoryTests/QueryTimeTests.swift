import Foundation
import Memory
import Testing

@Suite("QueryTime: the span a search query names")
struct QueryTimeTests {
    static let reference = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z, a Tuesday
    static func span(_ query: String) -> String? {
        QueryTime.window(in: query, reference: reference, timeZone: .gmt).map {
            let style = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
            return "\(style.format($0.start))..\(style.format($0.end))"
        }
    }

    @Test(arguments: [
        ("What did Jon do in May 2023?", "2023-05-01..2023-06-01"),
        ("Where did she travel in 2022?", "2022-01-01..2023-01-01"),
        ("What happened in March?", "2023-03-01..2023-04-01"),
        ("Who did Maria have dinner with on May 3, 2023?", "2023-05-03..2023-05-04"),
        ("What did I do yesterday?", "2023-11-13..2023-11-14"),
        ("What did we talk about last week?", "2023-11-06..2023-11-13"),
        ("Anything planned this month?", "2023-11-01..2023-12-01"),
    ])
    func named(query: String, expected: String) {
        #expect(Self.span(query) == expected)
    }

    @Test(arguments: ["What may she like?", "Did they march in the parade?", "What does Caroline like?"])
    func none(query: String) {
        #expect(Self.span(query) == nil)
    }
}
