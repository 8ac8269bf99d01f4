import Foundation
import Testing

/// Golden files: read from the test bundle; with `MEMGRID_UPDATE_GOLDEN=1` written to the
/// source tree instead (then rebuild: the bundle holds a copy made at build time).
enum GoldenFile {
    static var isUpdating: Bool { ProcessInfo.processInfo.environment["MEMGRID_UPDATE_GOLDEN"] == "1" }

    static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Golden", isDirectory: true)

    static var bundleDirectory: URL? {
        Bundle.module.url(forResource: "Golden", withExtension: nil)
    }

    static func read(_ fileName: String) throws -> Data {
        let directory = try #require(bundleDirectory, "Golden folder missing from the test bundle")
        return try Data(contentsOf: directory.appendingPathComponent(fileName))
    }

    /// Compares `actual` with the golden file byte for byte; in update mode writes it.
    static func check(_ actual: Data, against fileName: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if isUpdating {
            try FileManager.default.createDirectory(at: sourceDirectory, withIntermediateDirectories: true)
            try actual.write(to: sourceDirectory.appendingPathComponent(fileName), options: .atomic)
            return
        }
        let expected: Data
        do {
            expected = try read(fileName)
        } catch {
            Issue.record("cannot read golden \(fileName) (\(error)); run with MEMGRID_UPDATE_GOLDEN=1 to create it",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(
            actual == expected,
            "\(fileName) differs from its golden; if intended, rerun with MEMGRID_UPDATE_GOLDEN=1\nactual:   \(String(decoding: actual, as: UTF8.self))\nexpected: \(String(decoding: expected, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }
}
