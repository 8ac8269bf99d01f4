import ArgumentParser
import Foundation

/// One conversation of the LoCoMo benchmark (long multi-session dialogues between two
/// people, with questions whose evidence is a set of turns), as its JSON files hold it:
/// `speaker_a`, `speaker_b`, `session_N` (turns), `session_N_date_time`, and `qa`.
struct LoCoMo: Sendable {
    struct Turn: Sendable {
        /// `dia_id`: `D<session>:<turn>`.
        var id: String
        var speaker: String
        var text: String
    }

    struct Session: Sendable {
        var number: Int
        var startedAt: Date
        var turns: [Turn]
    }

    struct Question: Sendable {
        var text: String
        /// The turns the answer stands on (deduplicated; malformed lists such as
        /// "D8:6; D9:17" split).
        var evidence: Set<String>
        /// 1–4 are scored; 5 is adversarial (the answer is not in the conversation).
        var category: Int
    }

    /// The file's name without `.json` (`26`).
    var id: String
    var speakers: [String]
    /// In session order.
    var sessions: [Session]
    var questions: [Question]

    var turns: [Turn] { sessions.flatMap(\.turns) }

    /// Every `*.json` file of `directory`, in name order.
    static func load(directory: URL) throws -> [LoCoMo] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !names.isEmpty else { throw ValidationError("no .json files in \(directory.path)") }
        return try names.map { name in
            try load(file: directory.appendingPathComponent(name), id: String(name.dropLast(".json".count)))
        }
    }

    static func load(file: URL, id: String) throws -> LoCoMo {
        let data = try Data(contentsOf: file)
        do {
            let raw = try JSONDecoder().decode(Raw.self, from: data)
            return try LoCoMo(raw, id: id)
        } catch let error as DecodingError {
            throw ValidationError("\(file.lastPathComponent): not a LoCoMo conversation: \(error)")
        }
    }

    /// The same conversation cut to its first `count` sessions, keeping only the
    /// questions whose evidence lies entirely in them.
    func prefix(sessions count: Int) -> LoCoMo {
        var cut = self
        cut.sessions = Array(sessions.prefix(count))
        let kept = Set(cut.turns.map(\.id))
        cut.questions = questions.filter { $0.evidence.isSubset(of: kept) }
        return cut
    }

    private init(_ raw: Raw, id: String) throws {
        self.id = id
        speakers = [raw.speakerA, raw.speakerB]
        // A `session_N_date_time` without its `session_N` is skipped.
        sessions = try raw.sessions.keys.sorted().map { number in
            guard let text = raw.dates[number] else {
                throw ValidationError("\(id).json: session_\(number) has no session_\(number)_date_time")
            }
            guard let date = Self.parseDate(text) else {
                throw ValidationError("\(id).json: session_\(number)_date_time '\(text)' is not like '1:56 pm on 8 May, 2023'")
            }
            return Session(number: number, startedAt: date, turns: raw.sessions[number]!)
        }
        questions = raw.qa.map { item in
            let evidence = item.evidence.flatMap { $0.split(separator: ";") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return Question(text: item.question, evidence: Set(evidence), category: item.category)
        }
    }

    private static let months = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    ]

    /// `1:56 pm on 8 May, 2023`, read as UTC (the dataset gives no zone).
    static func parseDate(_ text: String) -> Date? {
        let words = text.lowercased().replacingOccurrences(of: ",", with: " ").split(separator: " ")
        guard words.count == 6, words[2] == "on" else { return nil }
        let clock = words[0].split(separator: ":")
        guard clock.count == 2, var hour = Int(clock[0]), let minute = Int(clock[1]), (1...12).contains(hour), (0..<60).contains(minute),
              ["am", "pm"].contains(words[1]), let day = Int(words[3]), let month = months.firstIndex(of: String(words[4])),
              let year = Int(words[5])
        else { return nil }
        hour = hour % 12 + (words[1] == "pm" ? 12 : 0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute))
    }

    /// The file as stored; keys other than the ones read are ignored.
    private struct Raw: Decodable {
        var speakerA: String
        var speakerB: String
        var sessions: [Int: [Turn]] = [:]
        var dates: [Int: String] = [:]
        var qa: [QA]

        struct QA: Decodable {
            var question: String
            var evidence: [String]
            var category: Int
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            speakerA = try container.decode(String.self, forKey: Key(stringValue: "speaker_a"))
            speakerB = try container.decode(String.self, forKey: Key(stringValue: "speaker_b"))
            qa = try container.decode([QA].self, forKey: Key(stringValue: "qa"))
            for key in container.allKeys {
                let parts = key.stringValue.split(separator: "_", maxSplits: 2)
                guard parts.count >= 2, parts[0] == "session", let number = Int(parts[1]) else { continue }
                if parts.count == 2 {
                    // An empty turn is nothing to memorize (the gateway refuses it).
                    sessions[number] = try container.decode([TurnRecord].self, forKey: key)
                        .filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
                        .map { Turn(id: $0.diaID, speaker: $0.speaker, text: $0.text) }
                } else if parts[2] == "date_time" {
                    dates[number] = try container.decode(String.self, forKey: key)
                }
            }
        }

        /// A turn as stored; `img_url`, `blip_caption` and the like are ignored.
        struct TurnRecord: Decodable {
            var speaker: String
            var diaID: String
            var text: String
            enum CodingKeys: String, CodingKey {
                case speaker, text
                case diaID = "dia_id"
            }
        }
    }
}
