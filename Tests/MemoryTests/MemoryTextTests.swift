import Memory
import Testing

@Suite("MemoryText.normalized")
struct MemoryTextTests {
    @Test(arguments: [
        ("I like tea.", "i like tea"),
        ("i like  tea", "i like tea"),
        ("  I\tlike\n\n tea!!! ", "i like tea"),
        ("I LIKE TEA?!…", "i like tea"),
        // NFKC: full-width letters, ideographic space and full stop.
        ("ｉ　ｌｉｋｅ　ＴＥＡ．", "i like tea"),
        // NFKC: compatibility ligature and circled digit.
        ("ﬁne ①", "fine 1"),
        // NFKC composes: e + combining acute equals é.
        ("Cafe\u{301}", "caf\u{E9}"),
        // Only trailing punctuation goes; inner and leading punctuation stays.
        ("Mr. Smith, Jr.", "mr. smith, jr"),
        ("\"Quoted\"", "\"quoted"),
        // Symbols are not punctuation.
        ("Tea 🍵", "tea 🍵"),
        ("Costs $5", "costs $5"),
        ("", ""),
        (" ... ", ""),
    ])
    func normalizes(_ input: String, _ expected: String) {
        #expect(MemoryText.normalized(input) == expected)
    }

    @Test func variantsShareOneKey() {
        let variants = ["I like tea.", "i like  tea", "I like tea!", "Ｉ like tea", "I like\ttea..."]
        #expect(Set(variants.map(MemoryText.normalized)) == ["i like tea"])
        #expect(MemoryText.normalized("I like tea") != MemoryText.normalized("I like teas"))
    }
}
