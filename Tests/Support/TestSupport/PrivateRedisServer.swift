import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port that nothing listens on right now.
public func unusedPort() throws -> Int {
    let port = try ClosedPort()
    defer { port.close() }
    return port.port
}

/// A redis-server owned by one test, on its own port, that the test can kill and restart.
/// Used from one test task at a time (hence the unchecked Sendable).
public final class PrivateRedisServer: @unchecked Sendable {
    public let port: Int
    private let extraArguments: [String]
    private var process: Process?

    public init(extraArguments: [String] = []) throws {
        self.port = try unusedPort()
        self.extraArguments = extraArguments
        try start()
    }

    deinit {
        crash()
    }

    /// Starts (or restarts, on the same port) the server. Data does not survive a restart.
    public func start() throws {
        precondition(process == nil, "already running")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "redis-server", "--port", "\(port)", "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
        ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// SIGKILL, like a crash: no goodbye to clients. Returns once the process has exited,
    /// so the kernel has closed its sockets.
    public func crash() {
        guard let process else { return }
        self.process = nil
        if process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// SIGSTOP: the server stops reading, so a large write blocks once socket buffers fill.
    public func freeze() {
        if let process { _ = kill(process.processIdentifier, SIGSTOP) }
    }
}
