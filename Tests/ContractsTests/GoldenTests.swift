import Contracts
import Foundation
import Testing

@Suite("Golden wire samples")
struct GoldenTests {
    @Test("encoding the sample gives the golden bytes", arguments: GoldenCase.all)
    func encodesToGolden(_ golden: GoldenCase) throws {
        try GoldenFile.check(try golden.encode(), against: "\(golden.name).json")
    }

    @Test("decoding the golden gives the sample", .disabled(if: GoldenFile.isUpdating), arguments: GoldenCase.all)
    func decodesFromGolden(_ golden: GoldenCase) throws {
        #expect(try golden.decodesToSample(GoldenFile.read("\(golden.name).json")))
    }

    @Test("the schema document matches its golden")
    func schemaDocument() throws {
        try GoldenFile.check(try WireSchemas.document(), against: "schemas.json")
    }

    @Test("every golden file belongs to a case", .disabled(if: GoldenFile.isUpdating))
    func noOrphans() throws {
        let directory = try #require(GoldenFile.bundleDirectory)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") })
        let expected = Set(GoldenCase.all.map { "\($0.name).json" } + ["schemas.json"])
        #expect(files == expected)
    }
}
