public import Foundation

/// A command line of the local stack's scripts (`scripts/stack.sh rabbitmqctl …`, or the
/// command `scripts/stack.sh env` names for this stack), run by `/bin/sh` from the
/// repository root with its standard output discarded.
public enum StackScript {
    public static func run(_ commandLine: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", commandLine]
        process.currentDirectoryURL = TestBroker.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let status = await process.exitStatus()
        guard status == 0 else { throw TestFailure("\(commandLine) exited \(status)") }
    }
}
