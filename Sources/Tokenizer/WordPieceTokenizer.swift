public import Foundation

/// BERT's WordPiece tokenizer, giving exactly the ids of Hugging Face's `BertTokenizer`
/// (the `tokenizers` pipeline sentence-transformers runs: `BertNormalizer`,
/// `BertPreTokenizer`, `WordPiece`, `[CLS] … [SEP]` template, truncation).
///
/// - Special tokens (`[CLS]`, `[SEP]`, `[UNK]`, `[PAD]`, `[MASK]`) written literally in
///   the text are matched before normalization and become their own ids.
/// - Normalization: NUL, U+FFFD and control/format/private-use scalars are dropped, any
///   whitespace is a space, CJK ideographs become words of their own; in lowercase mode
///   scalars are also decomposed (NFD), stripped of nonspacing marks and lowercased.
/// - Pre-tokenization: split on whitespace, punctuation (ASCII symbols and Unicode `P*`)
///   is a word of its own.
/// - WordPiece: greedy longest match first with `##` continuations; a word with an
///   unmatchable part, or longer than 100 scalars, is one `[UNK]`.
///
/// Works on Unicode scalars read straight from the string's UTF-8, with lookup tables
/// built once per process; `encode` allocates only its result.
public struct WordPieceTokenizer: Sendable {
    /// Texts are truncated to this many ids, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    /// Whether text is lowercased and stripped of accents (uncased models).
    public let lowercase: Bool
    public let clsID: Int32
    public let sepID: Int32
    public let unknownID: Int32
    public let padID: Int32

    private let vocabulary: WordPieceVocabulary
    private let characters: BertCharacterTable
    /// Special tokens matched in raw text, longest first.
    private let specialTokens: [(bytes: [UInt8], id: Int32)]
    /// Bit `b` of word `b >> 6` is set when some special token starts with byte `b`.
    private let specialFirstBytes: (UInt64, UInt64, UInt64, UInt64)

    /// Names of the special tokens, as `tokenizer_config.json` gives them.
    struct SpecialTokenNames {
        var cls = "[CLS]"
        var sep = "[SEP]"
        var unknown = "[UNK]"
        var pad = "[PAD]"
        var mask = "[MASK]"
    }

    /// Reads a `vocab.txt` (one token a line, the line number is the id).
    public init(vocabularyURL: URL, lowercase: Bool = true, maxLength: Int = 256) throws {
        try self.init(vocabularyURL: vocabularyURL, lowercase: lowercase, maxLength: maxLength, names: SpecialTokenNames())
    }

    /// Reads `vocab.txt` from a Hugging Face model directory, and `tokenizer_config.json`
    /// when present (`do_lower_case`, special token names; options this tokenizer does
    /// not implement are an error rather than silently different ids).
    public init(modelDirectory: URL, maxLength: Int = 256) throws {
        let configURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        var lowercase = true
        var names = SpecialTokenNames()
        if FileManager.default.fileExists(atPath: configURL.path) {
            let config = try TokenizerConfig(contentsOf: configURL)
            lowercase = config.lowercase
            names = config.names
        }
        try self.init(
            vocabularyURL: modelDirectory.appendingPathComponent("vocab.txt"),
            lowercase: lowercase,
            maxLength: maxLength,
            names: names
        )
    }

    init(vocabularyURL: URL, lowercase: Bool, maxLength: Int, names: SpecialTokenNames) throws {
        guard maxLength >= 2 else {
            throw Error(.invalidConfiguration, "maxLength \(maxLength) leaves no room for [CLS] and [SEP]")
        }
        let data: Data
        do {
            data = try Data(contentsOf: vocabularyURL)
        } catch {
            throw Error(.vocabularyUnreadable, "cannot read vocabulary \(vocabularyURL.path): \(error.localizedDescription)")
        }
        let vocabulary = WordPieceVocabulary(tokens: Self.lines(of: String(decoding: data, as: UTF8.self)))
        guard vocabulary.count > 0 else {
            throw Error(.vocabularyEmpty, "vocabulary \(vocabularyURL.path) has no tokens")
        }

        func required(_ name: String) throws -> Int32 {
            guard let id = vocabulary.id(of: name) else {
                throw Error(.missingSpecialToken, "vocabulary \(vocabularyURL.path) has no \(name) token")
            }
            return id
        }
        clsID = try required(names.cls)
        sepID = try required(names.sep)
        unknownID = try required(names.unknown)
        padID = try required(names.pad)

        var specials: [(bytes: [UInt8], id: Int32)] = []
        for name in Set([names.cls, names.sep, names.unknown, names.pad, names.mask]) where !name.isEmpty {
            if let id = vocabulary.id(of: name) {
                specials.append((Array(name.utf8), id))
            }
        }
        specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.bytes.lexicographicallyPrecedes($1.bytes) }
        var firstBytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for special in specials {
            let byte = special.bytes[0]
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: firstBytes.0 |= bit
            case 1: firstBytes.1 |= bit
            case 2: firstBytes.2 |= bit
            default: firstBytes.3 |= bit
            }
        }

        self.vocabulary = vocabulary
        self.characters = BertCharacterTable.make(lowercase: lowercase)
        self.specialTokens = specials
        self.specialFirstBytes = firstBytes
        self.lowercase = lowercase
        self.maxLength = maxLength
    }

    /// Vocabulary lines, as Python's universal-newline reading gives them: `\n`, `\r\n`
    /// and `\r` end a line, and a final line break does not start another token. Splits
    /// on scalars, not Characters (`"\r\n"` is a single Character).
    private static func lines(of text: String) -> [Substring] {
        var lines: [Substring] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var index = start
        while index < scalars.endIndex {
            let scalar = scalars[index]
            guard scalar == "\n" || scalar == "\r" else {
                index = scalars.index(after: index)
                continue
            }
            lines.append(text[start..<index])
            index = scalars.index(after: index)
            if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" {
                index = scalars.index(after: index)
            }
            start = index
        }
        if start < scalars.endIndex { lines.append(text[start...]) }
        return lines
    }

    /// Number of ids: one per vocabulary line.
    public var vocabularySize: Int { vocabulary.count }

    /// The id of a vocabulary token such as `"##ing"` or `"[MASK]"`, or nil.
    public func id(of token: String) -> Int32? {
        vocabulary.id(of: token)
    }

    /// Ids of `[CLS]`, the text's tokens and `[SEP]`, truncated to `maxLength` ids in
    /// all (`[SEP]` stays last).
    public func encode(_ text: String) -> [Int32] {
        let limit = maxLength - 1
        var ids: [Int32] = []
        ids.reserveCapacity(Swift.min(maxLength, text.utf8.count + 2))
        ids.append(clsID)
        var text = text
        text.withUTF8 { bytes in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.wordCapacity) { word in
                appendTokens(of: bytes, word: word, to: &ids, limit: limit)
            }
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
        ids.append(sepID)
        return ids
    }

    /// Tokens `encode` gives, `[CLS]` and `[SEP]` included.
    public func tokenCount(_ text: String) -> Int {
        encode(text).count
    }

    /// Scalars kept of a word: one more than the longest word WordPiece splits.
    private static let wordCapacity = WordPieceVocabulary.maxInputCharactersPerWord + 1

    private func appendTokens(
        of bytes: UnsafeBufferPointer<UInt8>,
        word: UnsafeMutableBufferPointer<UInt32>,
        to ids: inout [Int32],
        limit: Int
    ) {
        let table = characters
        // Scalars of the current word; only the first `word.count` are stored.
        var length = 0

        func flush() {
            if length > 0 {
                vocabulary.appendPieces(
                    of: UnsafeBufferPointer(rebasing: word[..<Swift.min(length, word.count)]),
                    characterCount: length,
                    unknown: unknownID,
                    to: &ids
                )
                length = 0
            }
        }
        func append(_ scalar: UInt32) {
            if length < word.count { word[length] = scalar }
            length += 1
        }
        func isolate(_ scalar: UInt32) {
            flush()
            append(scalar)
            flush()
        }

        var index = 0
        let end = bytes.count
        while index < end {
            if ids.count >= limit { return }
            let lead = bytes[index]
            if mayStartSpecialToken(lead), let special = specialToken(in: bytes, at: index) {
                flush()
                ids.append(special.id)
                index += special.length
                continue
            }

            // Decode one scalar (String storage is valid UTF-8).
            var scalar = UInt32(lead)
            if lead < 0x80 {
                index += 1
            } else if lead < 0xE0 {
                scalar = (scalar & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                index += 2
            } else if lead < 0xF0 {
                scalar = (scalar & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                index += 3
            } else {
                scalar = (scalar & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                    | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
                index += 4
            }

            let entry = table.entry(for: scalar)
            switch BertCharacterTable.kind(entry) {
            case .word:
                append(BertCharacterTable.payload(entry))
            case .isolated:
                isolate(BertCharacterTable.payload(entry))
            case .removed:
                break
            case .boundary:
                flush()
            case .hangul:
                let syllable = scalar - BertCharacterTable.hangulSyllables.lowerBound
                append(0x1100 + syllable / 588)
                append(0x1161 + (syllable % 588) / 28)
                if syllable % 28 != 0 { append(0x11A7 + syllable % 28) }
            case .mapped:
                let mapping = Int(BertCharacterTable.payload(entry))
                let outputs = Int(table.mappingOffsets[mapping])..<Int(table.mappingOffsets[mapping + 1])
                for output in table.mappingOutputs[outputs] {
                    let value = output & 0x1F_FFFF
                    switch BertCharacterTable.OutputClass(rawValue: output >> 24) {
                    case .word?: append(value)
                    case .isolated?: isolate(value)
                    case .boundary?, nil: flush()
                    }
                }
            }
        }
        flush()
    }

    @inline(__always)
    private func mayStartSpecialToken(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return specialFirstBytes.0 & bit != 0
        case 1: return specialFirstBytes.1 & bit != 0
        case 2: return specialFirstBytes.2 & bit != 0
        default: return specialFirstBytes.3 & bit != 0
        }
    }

    /// The longest special token written at `index`, if any.
    private func specialToken(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (id: Int32, length: Int)? {
        for special in specialTokens where special.bytes.count <= bytes.count - index {
            if special.bytes.withUnsafeBufferPointer({ token in
                UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[index..<index + token.count])
                    .elementsEqual(UnsafeRawBufferPointer(token))
            }) {
                return (special.id, special.bytes.count)
            }
        }
        return nil
    }
}
