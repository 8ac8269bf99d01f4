import Contracts
import Foundation
import Testing

@Suite("Hex encoding")
struct HexTests {
    @Test("every byte value is two lowercase digits, as printf's %02x writes it")
    func everyByte() {
        let bytes = (0...255).map(UInt8.init)
        #expect(bytes.hexString == bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test("an empty sequence and a non-array sequence")
    func shapes() {
        #expect([UInt8]().hexString == "")
        #expect(Data([0xde, 0xad, 0xbe, 0xef]).prefix(3).hexString == "deadbe")
    }
}
