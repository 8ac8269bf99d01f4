/// What BERT's normalizer and pre-tokenizer do with each Unicode scalar, as one lookup.
///
/// Hugging Face's `BertNormalizer` (clean text, isolate CJK ideographs, NFD + drop
/// nonspacing marks + lowercase) followed by `BertPreTokenizer` (split on whitespace,
/// isolate punctuation) acts on each input scalar independently, so the whole pipeline
/// folds into one entry per scalar: append these scalars to the current word, emit
/// them as a word of their own, break the word, or drop the scalar.
///
/// The data (`BertUnicodeData.swift`) is generated from the reference tokenizer itself
/// by `scripts/reference/make_unicode_tables.py`: its Unicode tables are older than
/// Swift's and its rules are its own (format characters newer than Unicode 9, such as
/// U+13430, are kept; private-use scalars are removed; CJK Extension E starts at
/// U+2B920), so Swift's own Unicode properties would not reproduce its ids.
struct BertCharacterTable: Sendable {
    /// An entry: `kind` in the low 3 bits, a payload above it.
    typealias Entry = UInt32

    enum Kind: UInt32 {
        /// Append the payload scalar to the current word.
        case word = 0
        /// Break the word, emit the payload scalar as a word of its own, break again.
        case isolated = 1
        /// Drop the scalar.
        case removed = 2
        /// Break the word.
        case boundary = 3
        /// A precomposed Hangul syllable: append its conjoining jamo (lowercase mode).
        case hangul = 4
        /// Payload indexes `mappingOffsets`: several outputs, or outputs of mixed kinds.
        case mapped = 5
    }

    /// Classes of a mapped output scalar (stored above bit 24 of `mappingOutputs`).
    enum OutputClass: UInt32 {
        case word = 0
        case isolated = 1
        case boundary = 2
    }

    static let hangulSyllables: ClosedRange<UInt32> = 0xAC00...0xD7A3

    /// Entries for U+0000…U+FFFF.
    let bmp: [Entry]
    /// Entries from U+10000 on, as runs: `astralEntries[i]` holds from `astralStarts[i]`.
    private let astralStarts: [UInt32]
    private let astralEntries: [Entry]
    /// Outputs of `.mapped` entry `i`: `mappingOutputs[mappingOffsets[i]..<mappingOffsets[i + 1]]`,
    /// each `scalar | OutputClass << 24`.
    let mappingOffsets: [Int32]
    let mappingOutputs: [UInt32]

    /// The tables for uncased models (lowercase, strip accents): all-MiniLM-L6-v2 and BERT uncased.
    static let uncased = BertCharacterTable(lowercase: true)
    /// The tables for cased models (clean text and CJK isolation only).
    static let cased = BertCharacterTable(lowercase: false)

    static func make(lowercase: Bool) -> BertCharacterTable {
        lowercase ? uncased : cased
    }

    @inline(__always)
    static func kind(_ entry: Entry) -> Kind {
        Kind(rawValue: entry & 0x7) ?? .removed
    }

    @inline(__always)
    static func payload(_ entry: Entry) -> UInt32 {
        entry >> 3
    }

    @inline(__always)
    func entry(for scalar: UInt32) -> Entry {
        if scalar < 0x10000 {
            return bmp[Int(scalar)]
        }
        // Last run starting at or before `scalar` (astralStarts[0] == 0x10000).
        var low = 0
        var high = astralStarts.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if astralStarts[mid] <= scalar { low = mid } else { high = mid }
        }
        let run = astralEntries[low]
        return run & Self.identityRun == 0 ? run : (scalar << 3 | run & 0x7)
    }

    private init(lowercase: Bool) {
        let data = SourceData.parse(Self.source)

        func classify(_ scalar: UInt32) -> OutputClass {
            if data.whitespace.contains(scalar) { return .boundary }
            if data.punctuation.contains(scalar) { return .isolated }
            return .word
        }

        var offsets: [Int32] = [0]
        var outputs: [UInt32] = []

        func entry(at scalar: UInt32) -> Entry {
            if data.removed.contains(scalar) { return Kind.removed.rawValue }
            if data.whitespace.contains(scalar) { return Kind.boundary.rawValue }
            let cjk = data.cjk.contains(scalar)
            if lowercase, Self.hangulSyllables.contains(scalar) { return Kind.hangul.rawValue }
            guard lowercase, let mapped = data.lower[scalar] else {
                let kind: Kind = cjk || classify(scalar) == .isolated ? .isolated : .word
                return scalar << 3 | kind.rawValue
            }
            let classes = mapped.map(classify)
            if mapped.count == 1 {
                switch (classes[0], cjk) {
                case (.word, false): return mapped[0] << 3 | Kind.word.rawValue
                case (.word, true), (.isolated, _): return mapped[0] << 3 | Kind.isolated.rawValue
                case (.boundary, _): return Kind.boundary.rawValue
                }
            }
            if mapped.isEmpty, !cjk { return Kind.removed.rawValue }
            let index = UInt32(offsets.count - 1)
            if cjk { outputs.append(OutputClass.boundary.rawValue << 24) }
            for (scalar, outputClass) in zip(mapped, classes) {
                outputs.append(scalar | outputClass.rawValue << 24)
            }
            if cjk { outputs.append(OutputClass.boundary.rawValue << 24) }
            offsets.append(Int32(outputs.count))
            return index << 3 | Kind.mapped.rawValue
        }

        // Split the code space where any table changes; every scalar of a segment but the
        // identity payload behaves alike.
        var breaks: Set<UInt32> = [0, 0x10000, 0x110000, Self.hangulSyllables.lowerBound, Self.hangulSyllables.upperBound + 1]
        for set in [data.removed, data.whitespace, data.cjk, data.punctuation] {
            for range in set.ranges {
                breaks.insert(range.lowerBound)
                breaks.insert(range.upperBound + 1)
            }
        }
        if lowercase {
            for scalar in data.lower.keys {
                breaks.insert(scalar)
                breaks.insert(scalar + 1)
            }
        }
        let points = breaks.sorted()

        var bmp = [Entry](repeating: 0, count: 0x10000)
        var astralStarts: [UInt32] = []
        var astralEntries: [Entry] = []
        for (start, end) in zip(points, points.dropFirst()) {
            let first = entry(at: start)
            let kind = Self.kind(first)
            // A run of scalars that map to themselves; anything else is a single scalar
            // (each mapped scalar is a segment of its own) or carries no scalar.
            let identity = (kind == .word || kind == .isolated) && Self.payload(first) == start
            if start < 0x10000 {
                for scalar in start..<end {
                    bmp[Int(scalar)] = identity ? (scalar << 3 | kind.rawValue) : first
                }
            } else {
                astralStarts.append(start)
                astralEntries.append(identity ? (Self.identityRun | kind.rawValue) : first)
            }
        }
        self.bmp = bmp
        self.astralStarts = astralStarts
        self.astralEntries = astralEntries
        self.mappingOffsets = offsets
        self.mappingOutputs = outputs
    }

    /// Marks an astral run whose scalars map to themselves: the payload is the scalar.
    private static let identityRun: UInt32 = 1 << 31
}

extension BertCharacterTable {
    /// The parsed generated data.
    struct SourceData {
        var removed = ScalarRanges()
        var whitespace = ScalarRanges()
        var cjk = ScalarRanges()
        var punctuation = ScalarRanges()
        var lower: [UInt32: [UInt32]] = [:]

        static func parse(_ source: String) -> SourceData {
            var data = SourceData()
            for line in source.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard let tag = fields.first else { continue }
                let values = fields.dropFirst().map { UInt32($0, radix: 16)! }
                switch tag {
                case "x": data.removed.append(values[0]...values[1])
                case "w": data.whitespace.append(values[0]...values[1])
                case "c": data.cjk.append(values[0]...values[1])
                case "p": data.punctuation.append(values[0]...values[1])
                case "l": data.lower[values[0]] = Array(values.dropFirst())
                default: preconditionFailure("BertUnicodeData: unknown tag \(tag)")
                }
            }
            return data
        }
    }

    /// Sorted, disjoint inclusive ranges of scalars.
    struct ScalarRanges {
        private(set) var ranges: [ClosedRange<UInt32>] = []

        mutating func append(_ range: ClosedRange<UInt32>) {
            precondition(ranges.last.map { $0.upperBound < range.lowerBound } ?? true, "BertUnicodeData: unsorted ranges")
            ranges.append(range)
        }

        func contains(_ scalar: UInt32) -> Bool {
            var low = 0
            var high = ranges.count
            while low < high {
                let mid = (low + high) / 2
                if ranges[mid].upperBound < scalar {
                    low = mid + 1
                } else {
                    high = mid
                }
            }
            return low < ranges.count && ranges[low].contains(scalar)
        }
    }
}
