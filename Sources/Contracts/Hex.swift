extension Sequence<UInt8> {
    /// Lowercase hex, two digits per byte (as `sha256sum` prints a digest). Hashes are
    /// hex-encoded on hot paths (cache keys, content hashes), where `String(format:)` per
    /// byte cost more than the hashing itself.
    public var hexString: String {
        var digits: [UInt8] = []
        digits.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            digits.append(Self.hexDigit(byte >> 4))
            digits.append(Self.hexDigit(byte & 0x0f))
        }
        return String(decoding: digits, as: UTF8.self)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
