import Foundation
import Testing
import TestSupport

/// A client in `Tests/Clients`, written from the docs alone, run with the stack's Python
/// (the venv `scripts/stack.sh` fills with the official SDKs).
enum PythonClient {
    static func process(_ script: String, arguments: [String]) throws -> Process {
        let python = try #require(ProcessInfo.processInfo.environment["MEMGRID_STACK_PYTHON"], "run under `scripts/stack.sh env`")
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Clients/\(script)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [path.path] + arguments
        return process
    }

    /// Runs the script to its end; its exit status and everything it printed.
    static func run(_ script: String, arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try process(script, arguments: arguments)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return await offThePool {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }
}
