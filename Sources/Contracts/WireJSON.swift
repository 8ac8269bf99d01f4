public import Foundation

/// The one JSON encoding used on the wire. Sorted keys and fixed date format keep the
/// bytes stable, so golden files and other languages can rely on them.
public enum WireJSON {
    /// One encoder and one decoder for the per-message paths (every job's envelope and
    /// `job.completed` event): making one costs about as much as a small message's
    /// coding. Never change their options; take `encoder()`/`decoder()` for that.
    public static let shared = (encoder: encoder(), decoder: decoder())

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 timestamp, got \(text.prefix(40))")
            }
            return date
        }
        return decoder
    }

    /// `2026-11-21T19:33:20.123Z`: UTC, always exactly three fraction digits, rounded to
    /// the nearest millisecond.
    ///
    /// Hand-written rather than `Date.ISO8601FormatStyle`, which truncates (a date decoded
    /// from `.678` printed as `.677`), so decode → encode would not give the same bytes.
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, milli) = floorDivide(millis, 1000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.fromDays(days)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
            + "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
            + "." + pad(milli, 3) + "Z"
    }

    /// Parses RFC 3339: `T` or `t` (or a space) between date and time, optional fraction of
    /// any length (Go writes 9 digits, Python 6), then `Z`, `z` or a numeric offset such as
    /// `+02:00`. A timestamp without an offset is rejected: its instant is unknown.
    public static func parse(_ text: String) -> Date? {
        RFC3339Parser(text)?.date
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
        return (quotient, value - quotient * divisor)
    }
}
