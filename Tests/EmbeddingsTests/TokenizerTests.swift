import Embeddings
import Foundation
import Testing
import Tokenizer

@Suite("WordPieceTokenizer: parity with sentence-transformers")
struct TokenizerParityTests {
    @Test("every fixture text gives the reference token ids")
    func fixtureParity() throws {
        let fixture = try ParityFixture.load()
        let tokenizer = try TokenizerTestSupport.tokenizer(maxLength: fixture.maxSeqLength)
        #expect(fixture.items.count >= 110)
        #expect(fixture.items.filter { $0.tokenIDs.count == fixture.maxSeqLength }.count >= 5, "fixture should exercise truncation")

        var mismatches = 0
        for item in fixture.items {
            let ids = tokenizer.encode(item.text)
            if ids != item.tokenIDs {
                mismatches += 1
                let firstDifference = zip(ids, item.tokenIDs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, item.tokenIDs.count)
                Issue.record("""
                    token ids differ for \(String(reflecting: item.text.prefix(80))) at index \(firstDifference)
                      expected \(item.tokenIDs.prefix(firstDifference + 8))
                      got      \(ids.prefix(firstDifference + 8))
                    """)
            }
        }
        #expect(mismatches == 0)
    }

    @Test("seeded random Unicode strings give the reference token ids")
    func fuzzParity() throws {
        let fuzz = try TokenizerFuzzFixture.load()
        let tokenizer = try TokenizerTestSupport.tokenizer(maxLength: fuzz.maxLength)
        #expect(fuzz.items.count >= 1000)
        let mismatches = fuzz.items.filter { tokenizer.encode($0.text) != $0.tokenIDs }
        for item in mismatches.prefix(5) {
            Issue.record("token ids differ for scalars \(item.text.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) })")
        }
        #expect(mismatches.isEmpty)
    }

    @Test("tokenCount counts what encode returns")
    func tokenCount() throws {
        let tokenizer = try TokenizerTestSupport.tokenizer()
        #expect(tokenizer.tokenCount("Hello, world!") == 6)
        #expect(tokenizer.tokenCount(String(repeating: "memory ", count: 1000)) == 256)
    }
}

@Suite("WordPieceTokenizer: normalization and splitting")
struct TokenizerBehaviourTests {
    let tokenizer: WordPieceTokenizer

    init() throws {
        tokenizer = try TokenizerTestSupport.tokenizer()
    }

    func expectTokens(_ text: String, _ tokens: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try TokenizerTestSupport.ids(["[CLS]"] + tokens + ["[SEP]"], in: tokenizer, sourceLocation: sourceLocation)
        #expect(tokenizer.encode(text) == expected, "\(String(reflecting: text))", sourceLocation: sourceLocation)
    }

    @Test func specialIDs() {
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.padID == 0)
        #expect(tokenizer.unknownID == 100)
        #expect(tokenizer.clsID == 101)
        #expect(tokenizer.sepID == 102)
        #expect(tokenizer.lowercase)
    }

    @Test func lowercasesAndStripsAccents() throws {
        try expectTokens("Café naïve RÉSUMÉ Ångström", ["cafe", "naive", "resume", "ang", "##strom"])
        // Decomposed input (e + U+0301) strips the same way as precomposed é.
        try expectTokens("cafe\u{301} CAF\u{C9}", ["cafe", "cafe"])
        try expectTokens("HELLO", ["hello"])
    }

    @Test func splitsCJKIdeographs() throws {
        try expectTokens("我北京", ["我", "北", "京"])
        // Ideographs split, kana stays one word for WordPiece.
        try expectTokens("日本語テキスト", ["日", "本", "語", "テ", "##キ", "##ス", "##ト"])
        // Hangul syllables are decomposed into jamo (NFD) and not split.
        try expectTokens("한국어", ["ᄒ", "##ᅡ", "##ᆫ", "##ᄀ", "##ᅮ", "##ᆨ", "##ᄋ", "##ᅥ"])
    }

    @Test func splitsPunctuation() throws {
        try expectTokens("hello,world!(x)", ["hello", ",", "world", "!", "(", "x", ")"])
        try expectTokens("a$b`c", ["a", "$", "b", "`", "c"])
        try expectTokens("«ok»", ["«", "ok", "»"])
    }

    @Test func continuationPieces() throws {
        try expectTokens("unaffable", ["una", "##ffa", "##ble"])
        try expectTokens(String(repeating: "x", count: 6), ["xx", "##xx", "##xx"])
    }

    @Test func unknownWords() throws {
        try expectTokens("😀", ["[UNK]"])
        // One unmatchable scalar makes the whole word [UNK].
        try expectTokens("hello😀world again", ["[UNK]", "again"])
        // 100 scalars are split; 101 are one [UNK].
        let hundred = tokenizer.encode(String(repeating: "x", count: 100))
        #expect(hundred.count == 52)
        #expect(!hundred.contains(tokenizer.unknownID))
        try expectTokens(String(repeating: "x", count: 101), ["[UNK]"])
    }

    @Test func truncatesToMaxLengthWithSEPLast() throws {
        let text = (0..<400).map { "word\($0)" }.joined(separator: " ")
        let ids = tokenizer.encode(text)
        #expect(ids.count == 256)
        #expect(ids.first == tokenizer.clsID)
        #expect(ids.last == tokenizer.sepID)
        #expect(ids.dropLast().allSatisfy { $0 != tokenizer.sepID })

        // The kept tokens are the first 254 of the untruncated encoding.
        let full = try TokenizerTestSupport.tokenizer(maxLength: 100_000).encode(text)
        #expect(full.count > 600)
        #expect(Array(ids.dropLast()) == Array(full.prefix(255)))

        let short = try TokenizerTestSupport.tokenizer(maxLength: 5).encode("one two three four five")
        #expect(short == [tokenizer.clsID] + (try TokenizerTestSupport.ids(["one", "two", "three"], in: tokenizer)) + [tokenizer.sepID])
        let minimal = try TokenizerTestSupport.tokenizer(maxLength: 2).encode("anything at all")
        #expect(minimal == [tokenizer.clsID, tokenizer.sepID])
    }

    @Test func dropsControlCharacters() throws {
        try expectTokens("he\u{0}llo\u{7} zero\u{200B}width \u{FFFD}ok", ["hello", "zero", "##wi", "##dt", "##h", "ok"])
        try expectTokens("soft\u{AD}ware \u{E000}x", ["software", "x"])
    }

    @Test func whitespaceOfAllKindsSplits() throws {
        try expectTokens("a\tb\nc\r\nd\u{3000}e\u{A0}f\u{2028}g", ["a", "b", "c", "d", "e", "f", "g"])
    }

    @Test func emptyAndBlankTexts() throws {
        try expectTokens("", [])
        try expectTokens("   \t\n", [])
        try expectTokens("\u{0}\u{200B}", [])
    }

    @Test func literalSpecialTokens() throws {
        try expectTokens("[MASK] [mask]", ["[MASK]", "[", "mask", "]"])
        try expectTokens("a[SEP]b", ["a", "[SEP]", "b"])
    }

    @Test func casedModeKeepsCaseAndAccents() throws {
        let url = TokenizerTestSupport.modelDirectory.appendingPathComponent("vocab.txt")
        let cased = try WordPieceTokenizer(vocabularyURL: url, lowercase: false)
        #expect(!cased.lowercase)
        // The uncased vocabulary has no "H…" or "é" pieces: both words are unknown.
        #expect(cased.encode("Hello café") == [cased.clsID, cased.unknownID, cased.unknownID, cased.sepID])
        #expect(cased.encode("hello 北京") == (try TokenizerTestSupport.ids(["[CLS]", "hello", "北", "京", "[SEP]"], in: cased)))
    }
}

@Suite("WordPieceTokenizer: greedy longest match on a tiny vocabulary")
struct TokenizerVocabularyTests {
    // ids:            0        1        2        3        4    5      6     7      8       9
    let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##b", "ab", "##c", "abc", "##bc"]

    func tokenizer(_ tokens: [String]? = nil) throws -> WordPieceTokenizer {
        let directory = try TokenizerTestSupport.temporaryDirectory(files: ["vocab.txt": (tokens ?? vocabulary).joined(separator: "\n") + "\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        return try WordPieceTokenizer(vocabularyURL: directory.appendingPathComponent("vocab.txt"))
    }

    @Test func longestMatchFirst() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.vocabularySize == 10)
        #expect(tokenizer.encode("abc") == [2, 8, 3])
        #expect(tokenizer.encode("abbc") == [2, 6, 9, 3])
        #expect(tokenizer.encode("ac") == [2, 4, 7, 3])
        #expect(tokenizer.encode("ABC a") == [2, 8, 4, 3])
        #expect(tokenizer.encode("ad abc") == [2, 1, 8, 3])
        #expect(tokenizer.encode("b") == [2, 1, 3])
    }

    @Test func laterDuplicateWins() throws {
        let tokenizer = try tokenizer(vocabulary + ["a"])
        #expect(tokenizer.vocabularySize == 11)
        #expect(tokenizer.encode("a") == [2, 10, 3])
    }

    @Test func crlfVocabulary() throws {
        let directory = try TokenizerTestSupport.temporaryDirectory(files: ["vocab.txt": vocabulary.joined(separator: "\r\n")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try WordPieceTokenizer(vocabularyURL: directory.appendingPathComponent("vocab.txt"))
        #expect(tokenizer.vocabularySize == 10)
        #expect(tokenizer.encode("abc") == [2, 8, 3])
    }
}

@Suite("WordPieceTokenizer: errors")
struct TokenizerErrorTests {
    let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"]

    func error(_ body: () throws -> WordPieceTokenizer) -> WordPieceTokenizer.Error? {
        do {
            _ = try body()
            return nil
        } catch let error as WordPieceTokenizer.Error {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func missingVocabularyFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-memgrid/vocab.txt")
        let thrown = try #require(error { try WordPieceTokenizer(vocabularyURL: url) })
        #expect(thrown.code == .vocabularyUnreadable)
        #expect(thrown.description.contains("/nonexistent-memgrid/vocab.txt"))

        let directory = URL(fileURLWithPath: "/nonexistent-memgrid")
        let fromDirectory = try #require(error { try WordPieceTokenizer(modelDirectory: directory) })
        #expect(fromDirectory.code == .vocabularyUnreadable)
    }

    @Test func emptyVocabulary() throws {
        let directory = try TokenizerTestSupport.temporaryDirectory(files: ["vocab.txt": ""])
        defer { try? FileManager.default.removeItem(at: directory) }
        let thrown = try #require(error { try WordPieceTokenizer(modelDirectory: directory) })
        #expect(thrown.code == .vocabularyEmpty)
    }

    @Test(arguments: ["[UNK]", "[CLS]", "[SEP]", "[PAD]"])
    func missingSpecialToken(_ missing: String) throws {
        let lines = specials.filter { $0 != missing }
        let directory = try TokenizerTestSupport.temporaryDirectory(files: ["vocab.txt": lines.joined(separator: "\n")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let thrown = try #require(error { try WordPieceTokenizer(vocabularyURL: directory.appendingPathComponent("vocab.txt")) })
        #expect(thrown.code == .missingSpecialToken)
        #expect(thrown.message.contains(missing))
    }

    @Test func configurationIsRead() throws {
        let directory = try TokenizerTestSupport.temporaryDirectory(files: [
            "vocab.txt": (specials + ["Hello", "<unk>"]).joined(separator: "\n"),
            "tokenizer_config.json": #"{"do_lower_case": false, "unk_token": {"content": "<unk>"}, "tokenizer_class": "BertTokenizer"}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try WordPieceTokenizer(modelDirectory: directory)
        #expect(!tokenizer.lowercase)
        #expect(tokenizer.unknownID == 6)
        #expect(tokenizer.encode("Hello hello x") == [2, 5, 4, 6, 3])
    }

    @Test(arguments: [
        #"{"do_lower_case": true, "strip_accents": false}"#,
        #"{"tokenize_chinese_chars": false}"#,
        #"{"tokenizer_class": "XLMRobertaTokenizer"}"#,
        #"{"do_lower_case": "yes"}"#,
        #"not json"#,
    ])
    func unsupportedConfiguration(_ config: String) throws {
        let directory = try TokenizerTestSupport.temporaryDirectory(files: [
            "vocab.txt": specials.joined(separator: "\n"),
            "tokenizer_config.json": config,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let thrown = try #require(error { try WordPieceTokenizer(modelDirectory: directory) })
        #expect(thrown.code == .invalidConfiguration)
    }

    @Test func maxLengthBelowTwo() throws {
        let url = TokenizerTestSupport.modelDirectory.appendingPathComponent("vocab.txt")
        let thrown = try #require(error { try WordPieceTokenizer(vocabularyURL: url, maxLength: 1) })
        #expect(thrown.code == .invalidConfiguration)
    }
}
