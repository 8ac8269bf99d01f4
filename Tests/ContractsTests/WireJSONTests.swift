import Contracts
import Foundation
import Testing

@Suite("WireJSON dates")
struct WireJSONTests {
    /// 2026-01-02T03:04:05Z
    static let base: TimeInterval = 1_767_323_045

    @Test(arguments: [
        ("2026-01-02T03:04:05Z", base),
        ("2026-01-02T03:04:05.678Z", base + 0.678),
        ("2026-01-02T03:04:05.1Z", base + 0.1),
        ("2026-01-02T03:04:05.000Z", base),
        ("2026-01-02t03:04:05z", base),
        ("2026-01-02 03:04:05Z", base),
        ("2026-01-02T05:04:05+02:00", base),
        ("2026-01-02T05:04:05.678+02:00", base + 0.678),
        ("2026-01-01T21:34:05-05:30", base),
        ("2026-01-02T03:04:05+00:00", base),
        ("2026-01-02T03:04:05.123456+00:00", base + 0.123456),
        ("2026-01-02T03:04:05.123456789Z", base + 0.123456789),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("1969-12-31T23:59:59.500Z", -0.5),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func parses(_ text: String, expected: TimeInterval) throws {
        let date = try #require(WireJSON.parse(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 1e-6)
    }

    @Test(arguments: [
        "", "2026-01-02", "2026-01-02T03:04:05", "2026-01-02T03:04:05.678", "2026-01-02T03:04Z",
        "2026-13-02T03:04:05Z", "2026-02-29T03:04:05Z", "2026-01-32T03:04:05Z", "2026-01-02T24:00:00Z",
        "2026-01-02T03:60:05Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05Zjunk", "2026-01-02T03:04:05+0200",
        "2026-01-02X03:04:05Z", " 2026-01-02T03:04:05Z", "26-01-02T03:04:05Z",
    ])
    func rejects(_ text: String) {
        #expect(WireJSON.parse(text) == nil)
    }

    @Test(arguments: [
        (base, "2026-01-02T03:04:05.000Z"),
        (base + 0.678, "2026-01-02T03:04:05.678Z"),
        (base + 0.999, "2026-01-02T03:04:05.999Z"),
        (base + 0.9996, "2026-01-02T03:04:06.000Z"),
        (base + 0.0004, "2026-01-02T03:04:05.000Z"),
        (-0.5, "1969-12-31T23:59:59.500Z"),
        (1_709_164_800, "2024-02-29T00:00:00.000Z"),
        (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
    ])
    func formats(_ seconds: TimeInterval, expected: String) {
        #expect(WireJSON.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    /// Every millisecond value survives format → parse → format, and parse gives the same
    /// Date as the decimal literal would (what golden equality relies on).
    @Test func millisecondRoundTrip() throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let millis = Int64(generator.next() % 4_102_444_800_000)  // 1970 ... 2100
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let text = WireJSON.format(date)
            let parsed = try #require(WireJSON.parse(text), "\(text)")
            #expect(parsed == date, "\(text)")
            #expect(WireJSON.format(parsed) == text)
        }
    }

    @Test func extremeYearsDoNotOverflow() throws {
        let late = try #require(WireJSON.parse("9999-12-31T23:59:59.123456789Z"))
        #expect(WireJSON.format(late) == "9999-12-31T23:59:59.123Z")
        let early = try #require(WireJSON.parse("0001-01-01T00:00:00.5-23:59"))
        #expect(WireJSON.format(early) == "0001-01-01T23:59:00.500Z")
    }

    @Test func encoderAndDecoderUseTheWireFormat() throws {
        struct Stamped: Codable, Equatable { var at: Date }
        let decoded = try WireJSON.decoder().decode(Stamped.self, from: Data(#"{"at":"2026-01-02T05:04:05.5+02:00"}"#.utf8))
        #expect(decoded == Stamped(at: Date(timeIntervalSince1970: Self.base + 0.5)))
        let encoded = try WireJSON.encoder().encode(decoded)
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"at":"2026-01-02T03:04:05.500Z"}"#)
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder().decode(Stamped.self, from: Data(#"{"at":"yesterday"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder().decode(Stamped.self, from: Data(#"{"at":1767323045}"#.utf8))
        }
    }
}

/// `containsNUL` against a reference: decode the JSON and look at every string.
@Suite struct NULScanTests {
    static func reference(_ json: Data) -> Bool {
        func holds(_ value: Any) -> Bool {
            switch value {
            case let string as String: string.utf8.contains(0)
            case let object as [String: Any]: object.contains { $0.key.utf8.contains(0) || holds($0.value) }
            case let array as [Any]: array.contains(where: holds)
            default: false
            }
        }
        return holds(try! JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]))
    }

    @Test(arguments: [
        #"{"a":"x\u0000"}"#, #"{"a":"x\\u0000"}"#, #"{"a":"x\\\u0000"}"#, #"{"a\u0000":1}"#,
        #"{"a":"\u00001"}"#, #"{"a":"u0000"}"#, #"["\u0001","\\"]"#, #"{"a":"\\"}"#,
    ])
    func agreesWithDecoding(json: String) {
        #expect(WireJSON.containsNUL(Data(json.utf8)) == Self.reference(Data(json.utf8)))
    }

    @Test func agreesOnRandomStrings() throws {
        var random = SplitMix64(seed: 7)
        let alphabet: [Character] = ["\\", "u", "0", "a", "\0", "\"", "1"]
        for _ in 0..<2000 {
            let text = String((0..<Int.random(in: 0...10, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            let json = try JSONEncoder().encode(["k": text])
            #expect(WireJSON.containsNUL(json) == text.utf8.contains(0), "\(text.debugDescription)")
        }
    }
}

/// Deterministic generator, so a failure reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
