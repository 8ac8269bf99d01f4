public import Foundation

/// socat (Debian package `socat`) as a child process: a relay or TLS terminator in front
/// of a local server, which a test can start late or stop to cut a client off.
public struct Socat {
    let process: Process

    /// `socat <listen> <target>`, e.g. `TCP-LISTEN:4000,bind=127.0.0.1,reuseaddr,fork` and
    /// `TCP:127.0.0.1:35672`.
    public init(listen: String, target: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["socat", listen, target]
        try process.run()
    }

    /// SIGKILL: a test process that ran a ServiceGroup ignores SIGTERM, and its children
    /// inherit that.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
