/// `<name>.v<version>`: the spelling shared by job types (`embed.v1`) and event types
/// (`job.completed.v1`). The name may itself contain dots; the version is a positive
/// decimal without sign or leading zeros.
struct VersionedName {
    let name: String
    let version: Int

    init?(_ text: String) {
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let name = text[..<dot]
        let suffix = text[text.index(after: dot)...]
        guard !name.isEmpty, suffix.first == "v" else { return nil }
        let digits = suffix.dropFirst()
        guard let first = digits.first, first != "0", digits.count <= 9,
              digits.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
              let version = Int(digits)
        else { return nil }
        self.name = String(name)
        self.version = version
    }
}
