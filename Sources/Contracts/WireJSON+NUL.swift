public import Foundation

extension WireJSON {
    /// Whether a JSON text holds a string with U+0000 (only writable as the escape
    /// `\u0000`: JSON forbids raw control characters in strings). PostgreSQL text cannot
    /// store it, so such input is refused where it enters, not as a failed query later.
    public static func containsNUL(_ json: Data) -> Bool {
        let escape = Array(#"u0000"#.utf8)
        let backslash = UInt8(ascii: "\\")
        return json.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            var index = 0
            var backslashes = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == backslash {
                    backslashes += 1
                } else {
                    // An odd run of backslashes escapes this byte; `\\u0000` is text.
                    if backslashes % 2 == 1, byte == UInt8(ascii: "u"), index + escape.count <= bytes.count,
                       (0..<escape.count).allSatisfy({ bytes[index + $0] == escape[$0] }) {
                        return true
                    }
                    backslashes = 0
                }
                index += 1
            }
            return false
        }
    }
}
